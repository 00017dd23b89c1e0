variable "bucket_name" {
  description = "Globally unique name of the access-log bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name."
  }
}

variable "tags" {
  description = "Tags applied to the bucket."
  type        = map(string)
  default     = {}
}

variable "retention_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.retention_days >= 90
    error_message = "retention_days must be at least 90 (audit requirement)."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket with logs in it. Only for throwaway environments and emulator tests."
  type        = bool
  default     = false
}
