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
  description = "Platform KMS key (execution logs, build artifacts and logs)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "glue_job_name" {
  description = "Feature pipeline Glue job run as the first step."
  type        = string
}

variable "glue_job_arn" {
  description = "ARN of that Glue job (IAM scope)."
  type        = string
}

variable "release_pipeline_name" {
  description = "CodePipeline that builds the inference image with the new champion and deploys it (started by the last step)."
  type        = string
}

variable "release_pipeline_arn" {
  description = "ARN of that pipeline (IAM scope)."
  type        = string
}

variable "topic_arn" {
  description = "SNS topic notified of gate rejections, failures and successful retrainings."
  type        = string
}

variable "retraining_schedule" {
  description = "EventBridge schedule of the retraining flow."
  type        = string
  default     = "cron(0 4 ? * MON *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.retraining_schedule))
    error_message = "retraining_schedule must be an EventBridge cron(...) or rate(...) expression."
  }
}

variable "retraining_enabled" {
  description = "Whether the retraining schedule is enabled."
  type        = bool
  default     = true
}

variable "function_name" {
  description = "Inference Lambda function pinged by the warm-up rule."
  type        = string
}

variable "alias_name" {
  description = "Alias the warm-up rule invokes."
  type        = string
  default     = "live"
}

variable "alias_arn" {
  description = "ARN of that alias."
  type        = string
}

variable "warmup_schedule" {
  description = "EventBridge schedule of the warm-up ping (keeps instances warm between requests)."
  type        = string
  default     = "rate(5 minutes)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.warmup_schedule))
    error_message = "warmup_schedule must be an EventBridge cron(...) or rate(...) expression."
  }
}

variable "log_retention_days" {
  description = "Retention of the state machine and training logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}

variable "training_project_name" {
  description = "CodeBuild project running the train/register steps (from the cicd module)."
  type        = string
}

variable "training_project_arn" {
  description = "ARN of that project (IAM scope)."
  type        = string
}
