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

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}
