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

variable "image_uri" {
  description = "ECR image (repository URL with immutable tag or digest) the function is created from. Later releases publish new versions through CodeDeploy or the release tool."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or digest."
  }
}

variable "memory_mb" {
  description = "Lambda memory size (also scales CPU)."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "memory_mb must be between 128 and 10240."
  }
}

variable "timeout_seconds" {
  description = "Lambda timeout; API Gateway gives up after 29 s anyway."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 29
    error_message = "timeout_seconds must be between 1 and 29 (API Gateway integration limit)."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions: caps the function so it cannot exhaust the feature store's connections or the account's concurrency."
  type        = number
  default     = 50

  validation {
    condition     = var.reserved_concurrency >= 1 && var.reserved_concurrency <= 1000
    error_message = "reserved_concurrency must be between 1 and 1000."
  }
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrency on the live alias (0 = none; warm-up pings keep a few instances warm instead)."
  type        = number
  default     = 0

  validation {
    condition     = var.provisioned_concurrency >= 0 && var.provisioned_concurrency <= 1000
    error_message = "provisioned_concurrency must be between 0 and 1000."
  }
}

variable "environment_variables" {
  description = "Extra environment variables for the service (merged over the computed feature store settings)."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Platform KMS key (environment variables, logs, store secret)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "vpc_id" {
  description = "VPC the function runs in."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of that VPC (egress to RDS Proxy and interface endpoints)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the function's network interfaces."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must contain at least two subnets (AZ resilience)."
  }
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint (egress rule)."
  type        = string
}

variable "store_proxy_endpoint" {
  description = "RDS Proxy endpoint of the feature store."
  type        = string
}

variable "store_database" {
  description = "Feature store database name."
  type        = string
}

variable "store_port" {
  description = "Port of the RDS Proxy."
  type        = number
  default     = 5432
}

variable "store_user" {
  description = "PostgreSQL role the service logs in as (SELECT on the store table only)."
  type        = string
  default     = "inference"
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

variable "function_log_retention_days" {
  description = "Retention of the function's log group, which holds the prediction log lines (pseudonymised; the S3 copy is kept separately)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.function_log_retention_days)
    error_message = "function_log_retention_days must be a value CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}

variable "stage_name" {
  description = "API Gateway stage name."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_]{1,64}$", var.stage_name))
    error_message = "stage_name must be 1-64 letters, digits or underscores."
  }
}

variable "throttle_rate_limit" {
  description = "Steady-state requests per second allowed through the stage (all consumers together)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttle_rate_limit > 0 && var.throttle_rate_limit <= 10000
    error_message = "throttle_rate_limit must be between 1 and 10000."
  }
}

variable "throttle_burst_limit" {
  description = "Burst of requests allowed above the stage rate (all consumers together)."
  type        = number
  default     = 200

  validation {
    condition     = var.throttle_burst_limit > 0 && var.throttle_burst_limit <= 5000
    error_message = "throttle_burst_limit must be between 1 and 5000."
  }
}

variable "api_consumers" {
  description = "Callers of the API: name => the IAM principals it signs its requests with (principal_arns: role or user ARNs; only these may invoke, through the resource policy) and the limits of its own usage plan (rate_limit steady requests per second, burst_limit, monthly_quota requests), which also size its WAF rate limit. Each consumer gets one API key, which selects its usage plan and WAF limit; it is not a credential."
  type = map(object({
    principal_arns = list(string)
    rate_limit     = number
    burst_limit    = number
    monthly_quota  = number
  }))

  validation {
    condition     = length(var.api_consumers) > 0 && alltrue([for c in keys(var.api_consumers) : can(regex("^[a-z][a-z0-9-]{1,40}$", c))])
    error_message = "api_consumers must name at least one consumer (lowercase letters, digits, hyphens)."
  }

  validation {
    condition     = alltrue([for c in values(var.api_consumers) : c.rate_limit > 0 && c.burst_limit >= c.rate_limit && c.monthly_quota >= 1000])
    error_message = "Each consumer needs rate_limit > 0, burst_limit >= rate_limit and monthly_quota >= 1000."
  }

  validation {
    condition = alltrue([
      for c in values(var.api_consumers) : length(c.principal_arns) > 0 && alltrue([
        for arn in c.principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", arn))
      ])
    ])
    error_message = "Each consumer needs principal_arns: at least one IAM role or user ARN (arn:aws:iam::<account>:role/<name>), no wildcards."
  }
}

variable "manage_api_gateway_account" {
  description = "Set the account-wide API Gateway CloudWatch role (once per account and region; disable in a second root sharing the account)."
  type        = bool
  default     = true
}

variable "waf_rate_limit_per_5min" {
  description = "WAF rate-based rule for requests that carry no consumer's API key (they fail at API Gateway anyway): requests per client IP per 5 minutes before blocking. Consumers are limited per API key instead (waf_consumer_limit_factor), so a lender behind one NAT address is not blocked by this."
  type        = number
  default     = 300

  validation {
    condition     = var.waf_rate_limit_per_5min >= 100 && var.waf_rate_limit_per_5min <= 2000000000
    error_message = "waf_rate_limit_per_5min must be between 100 and 2,000,000,000 (WAF limits)."
  }
}

variable "waf_consumer_limit_factor" {
  description = "Each consumer's WAF limit per 5 minutes is its usage plan rate_limit x 300 s x this factor: API Gateway throttles the consumer at its plan (429), the WAF blocks a consumer that keeps sending this many times more (a runaway client) before the requests cost anything."
  type        = number
  default     = 2

  validation {
    condition     = var.waf_consumer_limit_factor >= 1 && var.waf_consumer_limit_factor <= 10
    error_message = "waf_consumer_limit_factor must be between 1 (the plan's rate exactly) and 10."
  }
}

variable "canary_percentage" {
  description = "Share of traffic (percent) the new version gets during the canary bake (10 = 10%)."
  type        = number
  default     = 10

  validation {
    condition     = var.canary_percentage > 0 && var.canary_percentage < 100 && floor(var.canary_percentage) == var.canary_percentage
    error_message = "canary_percentage must be a whole number between 1 and 99 (0 is no canary; 100 is an all-at-once deploy)."
  }
}

variable "canary_interval_minutes" {
  description = "Bake time of the canary before the remaining traffic shifts."
  type        = number
  default     = 5

  validation {
    condition     = var.canary_interval_minutes >= 1 && var.canary_interval_minutes <= 2880
    error_message = "canary_interval_minutes must be between 1 and 2880."
  }
}

variable "rollback_alarm_names" {
  description = "Extra alarms that also stop a deployment and roll the alias back (e.g. whole-API alarms). The module's per-version canary alarms always do; alarms on the whole alias judge the canary diluted by the old version's traffic, and an old version's trouble would roll the new one back."
  type        = list(string)
  default     = []
}

variable "pre_traffic_hook" {
  description = "The CodeDeploy BeforeAllowTraffic hook: its Lambda zip (ci/scripts/upload-release-hook.sh: s3_key = lambda/release-hooks/pre_traffic_hook-<sha256 of scripts/release-tool/src/release_tool/pre_traffic_hook.py>.zip) and the customer it scores (must exist in the market's feature store). null: releases run without a pre-traffic check."
  type = object({
    s3_bucket         = string
    s3_key            = string
    known_customer_id = string
  })
  default = null

  validation {
    condition     = var.pre_traffic_hook == null || (can(regex("^lambda/release-hooks/pre_traffic_hook-[0-9a-f]{64}\\.zip$", var.pre_traffic_hook.s3_key)) && can(regex("^[0-9]{1,18}$", var.pre_traffic_hook.known_customer_id)))
    error_message = "pre_traffic_hook.s3_key must be lambda/release-hooks/pre_traffic_hook-<sha256>.zip and known_customer_id a customer id (digits)."
  }
}

variable "canary_error_threshold" {
  description = "Errors of the new version (Lambda Errors per ExecutedVersion, PredictionErrors per function_version) in a minute above which the canary rolls back."
  type        = number
  default     = 0

  validation {
    condition     = var.canary_error_threshold >= 0
    error_message = "canary_error_threshold must be >= 0."
  }
}

variable "canary_latency_p99_ms" {
  description = "p99 prediction latency of the new version (EMF PredictionLatency per function_version) above which, for 2 of 3 minutes, the canary rolls back."
  type        = number
  default     = 300

  validation {
    condition     = var.canary_latency_p99_ms > 0
    error_message = "canary_latency_p99_ms must be positive."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the service's EMF metrics (set as its POWERTOOLS_METRICS_NAMESPACE; the alarms watch it)."
  type        = string
  default     = "CreditRisk"
}

variable "metrics_service" {
  description = "Value of the `service` dimension of the service's EMF metrics (set as its POWERTOOLS_SERVICE_NAME; the alarms watch it)."
  type        = string
  default     = "inference-service"
}

variable "log_retention_days" {
  description = "Retention of the API access and WAF logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}
