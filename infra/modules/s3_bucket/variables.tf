variable "bucket_name" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, dots or hyphens."
  }
}

variable "purpose" {
  description = "What the bucket holds (tag and log prefix), e.g. raw, features, artifacts."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.purpose))
    error_message = "purpose must be a short lowercase name."
  }
}

variable "tags" {
  description = "Tags applied to the bucket."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key for default encryption (SSE-KMS with bucket key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "access_log_bucket" {
  description = "Bucket receiving this bucket's S3 server access logs."
  type        = string
}

variable "transition_to_ia_days" {
  description = "Days after which current objects move to STANDARD_IA."
  type        = number
  default     = 90

  validation {
    condition     = var.transition_to_ia_days >= 30
    error_message = "transition_to_ia_days must be at least 30 (S3 minimum for STANDARD_IA)."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent (overwritten/deleted) versions are removed."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket with objects in it. Only for throwaway environments and emulator tests."
  type        = bool
  default     = false
}

variable "expiration_prefixes" {
  description = "Key prefixes whose current objects expire after the given number of days (prefix => days), e.g. delivered log streams. Other objects never expire."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for prefix, days in var.expiration_prefixes : can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*/$", prefix)) && days >= 1])
    error_message = "expiration_prefixes keys must be non-empty key prefixes ending in '/', values at least 1 day."
  }
}
