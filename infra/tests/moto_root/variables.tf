variable "aws_endpoint_url" {
  description = "URL of the emulator (moto server, or LocalStack) every service is sent to."
  type        = string

  validation {
    condition     = can(regex("^https?://", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be an http(s) URL."
  }
}

variable "aws_service_endpoints" {
  description = "Per-service exceptions to aws_endpoint_url (service => URL), e.g. the tests' Step Functions shim in front of moto."
  type        = map(string)
  default     = {}
}

variable "aws_region" {
  description = "Region the emulator serves."
  type        = string
  default     = "us-east-1"
}

variable "market" {
  description = "Market code of the emulated market."
  type        = string
  default     = "mx"
}
