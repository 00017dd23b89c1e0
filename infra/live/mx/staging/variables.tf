# Every market/environment root declares the same variables; terraform.tfvars holds the values.

variable "market" {
  description = "Market code of this root."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}$", var.market))
    error_message = "market must be a two-letter lower-case ISO 3166-1 country code, e.g. \"mx\"."
  }
}

variable "environment" {
  description = "Environment of this root."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "aws_region" {
  description = "AWS region of the market."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like mx-central-1."
  }
}

variable "aws_endpoint_url" {
  description = "Endpoint of an AWS emulator (e.g. moto server) for every service; empty = real AWS."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_endpoint_url == "" || can(regex("^https?://", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be empty or an http(s) URL."
  }
}

variable "assume_role_arn" {
  description = "Role Terraform assumes in the market account (CI sets it; empty = ambient credentials)."
  type        = string
  default     = ""
}

variable "availability_zones" {
  description = "Availability zones used by the VPC (at least two)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "CIDR block of the market VPC."
  type        = string
}

variable "owner" {
  description = "Owning team (tag)."
  type        = string
  default     = "ml-platform"
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets and repositories (never in prod)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of every log group of the market."
  type        = number
  default     = 365
}

variable "inference_image_tag" {
  description = "Tag of the inference image the function is created with (later releases move the alias)."
  type        = string
}

variable "training_image_tag" {
  description = "Tag of the training image the retraining builds run."
  type        = string
}

variable "monitoring_image_tag" {
  description = "Tag of the monitoring job image the daily monitoring Lambda runs (a new tag reaches it through terraform apply)."
  type        = string
}

variable "feature_store" {
  description = "Sizing and resilience of the online feature store."
  type = object({
    instance_class        = string
    allocated_storage_gb  = number
    multi_az              = bool
    backup_retention_days = number
    deletion_protection   = bool
  })
}

variable "inference" {
  description = "Sizing, throttling and release settings of the prediction API."
  type = object({
    memory_mb               = number
    reserved_concurrency    = number
    provisioned_concurrency = number
    throttle_rate_limit     = number
    throttle_burst_limit    = number
    canary_percentage       = number
    canary_interval_minutes = number
  })
}

variable "manage_api_gateway_account" {
  description = "Whether this root sets the account-wide API Gateway logging role (one root per account and region)."
  type        = bool
  default     = true
}

variable "glue_worker_count" {
  description = "Number of Glue workers of the feature job."
  type        = number
  default     = 2
}

variable "alarm_email_addresses" {
  description = "Who receives alarms."
  type        = set(string)
  default     = []
}

variable "source_connection_arn" {
  description = "CodeStar connection to the Git host."
  type        = string
}

variable "repository_id" {
  description = "Repository (owner/name)."
  type        = string
}

variable "terraform_state_bucket" {
  description = "State bucket of this root (same as backend.tf; used by the CI infra projects)."
  type        = string
}

variable "terraform_deploy_role_arn" {
  description = "Role the CI infra builds assume to plan/apply this root."
  type        = string
}

variable "require_manual_approval" {
  description = "Manual approval before apply/deploy in the pipeline."
  type        = bool
}
