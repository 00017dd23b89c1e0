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

variable "repositories" {
  description = "Short names of the image repositories to create (inference API, training job, monitoring job, db-bootstrap, the CI tools image of the builds)."
  type        = set(string)
  default     = ["inference", "training", "monitoring", "db-bootstrap", "ci-tools"]

  validation {
    condition     = length(var.repositories) > 0 && alltrue([for r in var.repositories : can(regex("^[a-z][a-z0-9-]{1,30}$", r))])
    error_message = "repositories must be non-empty lowercase names (letters, digits, hyphens)."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting images at rest."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "keep_tagged_images" {
  description = "How many release-tagged images to keep per repository (older ones expire; rollback needs a few)."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_tagged_images >= 5 && var.keep_tagged_images <= 1000
    error_message = "keep_tagged_images must be between 5 and 1000 so that rollbacks stay possible."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (build leftovers) are deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "force_delete" {
  description = "Allow deleting repositories that still contain images. Only for throwaway environments and emulator tests."
  type        = bool
  default     = false
}
