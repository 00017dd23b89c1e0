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

variable "image_repository_names" {
  description = "ECR repositories whose scan findings (CRITICAL or HIGH) notify the topic."
  type        = list(string)
  default     = []
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

variable "monitoring_service" {
  description = "service dimension of the monitoring job's metrics (Powertools Metrics adds it to every dimension set; risk_monitoring.metrics.SERVICE)."
  type        = string
  default     = "risk-monitoring"
}

variable "inference_metrics_namespace" {
  description = "CloudWatch namespace of the inference service's EMF metrics (its POWERTOOLS_METRICS_NAMESPACE)."
  type        = string
  default     = "CreditRisk"
}

variable "inference_metrics_service" {
  description = "service dimension of the inference service's metrics (its POWERTOOLS_SERVICE_NAME)."
  type        = string
  default     = "inference-service"
}

variable "min_outcome_matched_share" {
  description = "Alarm when a smaller share of the lender's repayment rows matches a logged prediction (lost log lines or ids)."
  type        = number
  default     = 0.9

  validation {
    condition     = var.min_outcome_matched_share > 0 && var.min_outcome_matched_share <= 1
    error_message = "min_outcome_matched_share must be in (0, 1]."
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
  description = "How often the monitoring job publishes; its alarms evaluate over this period. Daily (86400) to match runner_schedule: with a shorter period the breaching-on-missing feature-store-staleness alarm would fire between runs."
  type        = number
  default     = 86400

  validation {
    condition     = contains([300, 900, 3600, 21600, 86400], var.monitoring_period_seconds)
    error_message = "monitoring_period_seconds must be 300, 900, 3600, 21600 or 86400."
  }
}

# Prediction log delivery -----------------------------------------------------------------------

variable "prediction_log_group_name" {
  description = "Log group of the inference function (/aws/lambda/<function>) whose prediction lines are shipped to S3."
  type        = string

  validation {
    condition     = can(regex("^/aws/lambda/[A-Za-z0-9_-]+$", var.prediction_log_group_name))
    error_message = "prediction_log_group_name must be a Lambda log group name (/aws/lambda/<function>)."
  }
}

variable "features_bucket_name" {
  description = "Features bucket of the data lake: the prediction log lands under predictions/ (it holds customer ids and features, like the training set)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.features_bucket_name))
    error_message = "features_bucket_name must be an S3 bucket name."
  }
}

variable "artifacts_bucket_name" {
  description = "Artifacts bucket: the champion bundle's metadata.json is read from it and the monitoring reports are written to monitoring/reports/."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be an S3 bucket name."
  }
}

variable "prediction_log_buffering_seconds" {
  description = "Firehose buffering interval: how long prediction lines wait before an object is written (also how far past midnight a day's last lines may land in the next day's prefix)."
  type        = number
  default     = 300

  validation {
    condition     = var.prediction_log_buffering_seconds >= 60 && var.prediction_log_buffering_seconds <= 900
    error_message = "prediction_log_buffering_seconds must be between 60 and 900."
  }
}

variable "log_retention_days" {
  description = "Retention of the monitoring job's and the delivery stream's log groups."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (e.g. 365)."
  }
}

# Monitoring job (runner) -----------------------------------------------------------------------

variable "runner_image_uri" {
  description = "Monitoring job image (risk-monitoring/Dockerfile) in the market's ECR: <repository url>:<tag>."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+$", var.runner_image_uri))
    error_message = "runner_image_uri must be an ECR image URI with a tag."
  }
}

variable "runner_memory_mb" {
  description = "Memory of the monitoring job's function (CPU scales with it)."
  type        = number
  default     = 3008

  validation {
    condition     = var.runner_memory_mb >= 512 && var.runner_memory_mb <= 10240
    error_message = "runner_memory_mb must be between 512 and 10240."
  }
}

variable "runner_timeout_seconds" {
  description = "Timeout of one monitoring run (risk-monitoring/README.md, Benchmarks, has the time a day at 100 req/s takes; traffic that would not fit in 900 s belongs in a Glue Python shell job)."
  type        = number
  default     = 900

  validation {
    condition     = var.runner_timeout_seconds >= 60 && var.runner_timeout_seconds <= 900
    error_message = "runner_timeout_seconds must be between 60 and 900 (the Lambda maximum)."
  }
}

variable "runner_schedule" {
  description = "When the monitoring job runs (EventBridge expression, UTC). After the 03:00 Glue refresh, so the feature-store age reflects that day's run; it reads the previous UTC day's prediction log."
  type        = string
  default     = "cron(30 4 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.runner_schedule))
    error_message = "runner_schedule must be an EventBridge cron(...) or rate(...) expression."
  }
}

variable "vpc_id" {
  description = "VPC of the monitoring job's function."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC (PostgreSQL and interface-endpoint egress stay inside it)."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a CIDR block."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the monitoring job's function."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "At least one subnet is required."
  }
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint (HTTPS egress to S3)."
  type        = string
}

variable "store_proxy_endpoint" {
  description = "RDS Proxy endpoint of the feature store (the job reads MAX(as_of) through it)."
  type        = string
}

variable "store_port" {
  description = "Port of the RDS Proxy."
  type        = number
  default     = 5432
}

variable "store_database" {
  description = "Database holding customer_features."
  type        = string
}

variable "store_user" {
  description = "PostgreSQL role the job logs in as (SELECT on the store table only)."
  type        = string
  default     = "monitoring"
}

variable "store_db_user_arn" {
  description = "rds-db:connect resource of store_user on the proxy (arn:...:dbuser:<proxy resource id>/<role>)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:rds-db:[a-z0-9-]+:[0-9]{12}:dbuser:[^/]+/[a-z_][a-z0-9_]*$", var.store_db_user_arn))
    error_message = "store_db_user_arn must be arn:<partition>:rds-db:<region>:<account>:dbuser:<proxy resource id>/<role>."
  }
}

variable "customer_ref_key_secret_arn" {
  description = "Secrets Manager secret holding the key of the customer_ref pseudonym (CUSTOMER_REF_KEY_SECRET_ARN)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.customer_ref_key_secret_arn))
    error_message = "customer_ref_key_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "lake_prefix" {
  description = "The feature pipeline's output root in the features bucket (runs and _LATEST): the skew check reads run=<id>/online/parquet/ and _SUCCESS under it."
  type        = string
  default     = "features/"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9/_-]*/$", var.lake_prefix))
    error_message = "lake_prefix must be a key prefix ending in /."
  }
}

variable "repayments_prefix" {
  description = "Key prefix in the artifacts bucket where the lender's repayment files land; each new object starts the monitoring job's outcomes run (delayed labels, online quality)."
  type        = string
  default     = "monitoring/repayments/"

  validation {
    condition     = can(regex("^monitoring/[a-z0-9/_-]+/$", var.repayments_prefix))
    error_message = "repayments_prefix must be a prefix under monitoring/ ending in /."
  }
}

variable "model_name" {
  description = "Registered model name: ModelName dimension of the monitoring job's metrics and the folder of its bundle pointers (bundles/<model_name>/champion.json)."
  type        = string
  default     = "credit-risk"
}
