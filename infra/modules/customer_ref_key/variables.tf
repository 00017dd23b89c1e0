variable "name_prefix" {
  description = "Prefix for every resource name, from the naming module (<project>-<market>-<environment>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-42 lowercase letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Tags applied to every resource, from the naming module."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Platform KMS key encrypting the secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "key_length" {
  description = "Length of the generated key (letters and digits)."
  type        = number
  default     = 64

  validation {
    condition     = var.key_length >= 32 && var.key_length <= 4096
    error_message = "key_length must be at least 32 (the consumers refuse shorter keys)."
  }
}

variable "key_version" {
  description = "Bump to generate and store a new key (every customer_ref changes: outcomes can then only be joined with logs written after the change)."
  type        = number
  default     = 1

  validation {
    condition     = var.key_version >= 1 && floor(var.key_version) == var.key_version
    error_message = "key_version must be a whole number >= 1."
  }
}

variable "recovery_window_days" {
  description = "Recovery window when the secret is deleted (0 = immediately; emulator tests only)."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_days == 0 || (var.recovery_window_days >= 7 && var.recovery_window_days <= 30)
    error_message = "recovery_window_days must be 0 or between 7 and 30."
  }
}
