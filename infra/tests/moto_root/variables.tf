variable "aws_endpoint_url" {
  description = "URL of the moto server."
  type        = string
}

variable "sfn_endpoint_url" {
  description = "Step Functions endpoint when it differs (the test's shim in front of moto); empty = aws_endpoint_url."
  type        = string
  default     = ""
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
