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
  description = "KMS key used for default encryption of the data buckets."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "buckets" {
  description = "Data buckets to create (purpose => lifecycle settings). The raw, features and artifacts buckets are required by the other modules."
  type = map(object({
    transition_to_ia_days              = number
    noncurrent_version_expiration_days = number
    # Prefix => days after which current objects expire (delivered log streams).
    expiration_prefixes = optional(map(number), {})
  }))
  default = {
    raw = { transition_to_ia_days = 90, noncurrent_version_expiration_days = 90 }
    # predictions/: the inference prediction log (monitoring module's Firehose stream), kept
    # long enough to re-run the monitoring job over a quarter once delayed outcomes arrive.
    features = {
      transition_to_ia_days              = 60
      noncurrent_version_expiration_days = 30
      expiration_prefixes                = { "predictions/" = 180, "predictions-errors/" = 30 }
    }
    artifacts = { transition_to_ia_days = 180, noncurrent_version_expiration_days = 365 }
  }

  validation {
    condition     = alltrue([for k in ["raw", "features", "artifacts"] : contains(keys(var.buckets), k)])
    error_message = "buckets must include raw, features and artifacts."
  }

  validation {
    condition = alltrue([
      for b in values(var.buckets) : b.transition_to_ia_days >= 30 && b.noncurrent_version_expiration_days >= 1
    ])
    error_message = "transition_to_ia_days must be >= 30 (S3 minimum for STANDARD_IA) and noncurrent_version_expiration_days >= 1."
  }

  validation {
    condition = alltrue(flatten([
      for b in values(var.buckets) : [for prefix, days in b.expiration_prefixes : endswith(prefix, "/") && days >= 1]
    ]))
    error_message = "expiration_prefixes keys must end in '/' and expire after at least 1 day."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs are kept in the logs bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90
    error_message = "access_log_retention_days must be at least 90 (audit requirement)."
  }
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets. Only for throwaway environments and emulator tests."
  type        = bool
  default     = false
}
