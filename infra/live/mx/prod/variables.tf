# The provider settings of this root, then the platform's inputs passed through as they are:
# types, defaults, validations and descriptions live in infra/modules/platform/variables.tf
# (null = the platform's default), so a new platform setting needs no change here.

variable "aws_region" {
  description = "AWS region of the market."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like mx-central-1."
  }
}

variable "aws_endpoint_url" {
  description = "Endpoint of an AWS emulator (moto server, LocalStack) for every service; empty = real AWS. Set by the emulator override (infra/README.md)."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_endpoint_url == "" || can(regex("^https?://", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be empty or an http(s) URL."
  }
}

variable "aws_service_endpoints" {
  description = "Per-service exceptions to aws_endpoint_url (service => URL), e.g. a proxy in front of one emulated service; only used when aws_endpoint_url is set."
  type        = map(string)
  default     = {}
}

variable "assume_role_arn" {
  description = "Role Terraform assumes in the market account (the CI infra builds set it; empty = ambient credentials)."
  type        = string
  default     = ""
}

variable "market" {
  description = "Platform input (modules/platform): market code."
  type        = any
}

variable "environment" {
  description = "Platform input (modules/platform): staging or prod."
  type        = any
}

variable "availability_zones" {
  description = "Platform input (modules/platform): availability zones of the private subnets."
  type        = any
}

variable "vpc_cidr" {
  description = "Platform input (modules/platform): CIDR of the market VPC."
  type        = any
}

variable "delivery" {
  description = "Platform input (modules/platform): source connection, repository, state bucket, deploy role, manual approval."
  type        = any
}

variable "owner" {
  description = "Platform input (modules/platform): owning team (tag)."
  type        = any
  default     = null
}

variable "force_destroy" {
  description = "Platform input (modules/platform): allow destroying non-empty buckets (never prod)."
  type        = any
  default     = null
}

variable "log_retention_days" {
  description = "Platform input (modules/platform): retention of the operational log groups."
  type        = any
  default     = null
}

variable "prediction_log_retention" {
  description = "Platform input (modules/platform): prediction log retention in CloudWatch and S3."
  type        = any
  default     = null
}

variable "image_tags" {
  description = "Platform input (modules/platform): image tags the functions and builds are created with."
  type        = any
  default     = null
}

variable "feature_store" {
  description = "Platform input (modules/platform): feature store sizing and resilience."
  type        = any
  default     = null
}

variable "feature_pipeline" {
  description = "Platform input (modules/platform): Glue workers, retained runs, quality settings."
  type        = any
  default     = null
}

variable "training" {
  description = "Platform input (modules/platform): training gate/budget environment and build size."
  type        = any
  default     = null
}

variable "inference" {
  description = "Platform input (modules/platform): API sizing, throttling and canary."
  type        = any
  default     = null
}

variable "api_consumers" {
  description = "Platform input (modules/platform): API callers and their limits."
  type        = any
  default     = null
}

variable "schedules" {
  description = "Platform input (modules/platform): feature refresh, monitoring, retraining, warm-up schedules."
  type        = any
  default     = null
}

variable "alarm_email_addresses" {
  description = "Platform input (modules/platform): who receives alarms."
  type        = any
  default     = null
}

variable "manage_api_gateway_account" {
  description = "Platform input (modules/platform): whether this stack sets the account-wide API Gateway logging role."
  type        = any
  default     = null
}
