variable "project" {
  description = "Short project slug used as the first part of every resource name."
  type        = string
  default     = "credit-risk"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", var.project))
    error_message = "project must be 3-22 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "market" {
  description = "Market (country) code, ISO 3166-1 alpha-2 in lower case, e.g. \"mx\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}$", var.market))
    error_message = "market must be a two-letter lower-case ISO 3166-1 country code, e.g. \"mx\"."
  }
}

variable "environment" {
  description = "Deployment environment."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "owner" {
  description = "Team that owns and is paged for these resources (tag value)."
  type        = string
  default     = "ml-platform"

  validation {
    condition     = length(trimspace(var.owner)) > 0
    error_message = "owner must not be empty."
  }
}

variable "extra_tags" {
  description = "Additional tags merged over the standard ones (e.g. cost centre)."
  type        = map(string)
  default     = {}
}
