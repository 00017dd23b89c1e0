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
  description = "Platform KMS key encrypting the alarm topic."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "alarm_email_addresses" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm the subscription)."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_email_addresses must be valid e-mail addresses."
  }
}

variable "function_name" {
  description = "Inference Lambda function name."
  type        = string
}

variable "alias_name" {
  description = "Alias serving traffic (metrics are watched on the alias)."
  type        = string
  default     = "live"
}

variable "api_name" {
  description = "REST API name (ApiName metric dimension)."
  type        = string
}

variable "stage_name" {
  description = "API stage name (Stage metric dimension)."
  type        = string
}

variable "glue_job_name" {
  description = "Feature pipeline Glue job; failed runs notify the topic."
  type        = string
}

variable "state_machine_arn" {
  description = "Retraining state machine; failed/timed-out/aborted executions notify the topic."
  type        = string
}

variable "api_5xx_rate_threshold_percent" {
  description = "Alarm when more than this percentage of API requests fail with 5xx in a minute."
  type        = number
  default     = 1

  validation {
    condition     = var.api_5xx_rate_threshold_percent > 0 && var.api_5xx_rate_threshold_percent <= 100
    error_message = "api_5xx_rate_threshold_percent must be in (0, 100]."
  }
}

variable "api_p99_latency_threshold_ms" {
  description = "Alarm when the API's p99 latency exceeds this many milliseconds."
  type        = number
  default     = 300

  validation {
    condition     = var.api_p99_latency_threshold_ms >= 10 && var.api_p99_latency_threshold_ms <= 29000
    error_message = "api_p99_latency_threshold_ms must be between 10 and 29000."
  }
}

variable "lambda_error_threshold" {
  description = "Alarm when the alias records more than this many function errors in a minute."
  type        = number
  default     = 0

  validation {
    condition     = var.lambda_error_threshold >= 0
    error_message = "lambda_error_threshold must be >= 0."
  }
}

variable "lambda_throttle_threshold" {
  description = "Alarm when the alias is throttled more than this many times in a minute."
  type        = number
  default     = 0

  validation {
    condition     = var.lambda_throttle_threshold >= 0
    error_message = "lambda_throttle_threshold must be >= 0."
  }
}

variable "monitoring_namespace" {
  description = "CloudWatch namespace the monitoring job publishes to (EMF)."
  type        = string
  default     = "CreditRisk/Monitoring"
}

variable "model_name" {
  description = "ModelName dimension of the monitoring job's metrics."
  type        = string
  default     = "credit-risk"
}

variable "psi_alert_threshold" {
  description = "Alarm when the largest feature PSI exceeds this (0.2 = significant shift)."
  type        = number
  default     = 0.2

  validation {
    condition     = var.psi_alert_threshold > 0 && var.psi_alert_threshold <= 10
    error_message = "psi_alert_threshold must be in (0, 10]."
  }
}

variable "max_model_age_days" {
  description = "Alarm when the served model is older than this."
  type        = number
  default     = 90

  validation {
    condition     = var.max_model_age_days >= 1
    error_message = "max_model_age_days must be at least 1."
  }
}

variable "max_feature_store_age_days" {
  description = "Alarm when the online store's latest as_of is older than this."
  type        = number
  default     = 2

  validation {
    condition     = var.max_feature_store_age_days > 0
    error_message = "max_feature_store_age_days must be positive."
  }
}

variable "skew_mismatch_rate_threshold" {
  description = "Alarm when more than this share of re-computed features differ from the served ones."
  type        = number
  default     = 0.01

  validation {
    condition     = var.skew_mismatch_rate_threshold >= 0 && var.skew_mismatch_rate_threshold <= 1
    error_message = "skew_mismatch_rate_threshold must be between 0 and 1."
  }
}

variable "monitoring_period_seconds" {
  description = "How often the monitoring job publishes; its alarms evaluate over this period."
  type        = number
  default     = 3600

  validation {
    condition     = contains([300, 900, 3600, 21600, 86400], var.monitoring_period_seconds)
    error_message = "monitoring_period_seconds must be 300, 900, 3600, 21600 or 86400."
  }
}
