# Everything a market/environment can set. Each live root passes its terraform.tfvars through
# unchanged; defaults are the documented starting point of a new market (make new-market).

# Identity and network ---------------------------------------------------------------------------

variable "market" {
  description = "Market code, ISO 3166-1 alpha-2 in lower case (e.g. \"mx\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}$", var.market))
    error_message = "market must be a two-letter lower-case ISO 3166-1 country code, e.g. \"mx\"."
  }
}

variable "environment" {
  description = "Environment: staging or prod (dev for throwaway stacks)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "owner" {
  description = "Owning team (tag)."
  type        = string
  default     = "ml-platform"
  nullable    = false
}

variable "availability_zones" {
  description = "Availability zones of the private subnets (at least two)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "availability_zones must list at least two zones."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the market VPC (/20 or larger; distinct per market/environment if they are ever peered)."
  type        = string
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets and repositories (throwaway stacks and emulator tests only, never prod)."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the operational log groups (jobs, builds, API access, WAF, flow logs, state machine)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}

variable "prediction_log_retention" {
  description = "How long the prediction log is kept (issue 16: private logs): cloudwatch_days in the inference function's log group (where the lines are written), s3_days under predictions/ in the features bucket (what the monitoring job reads; keep a quarter so delayed outcomes can be joined)."
  type = object({
    cloudwatch_days = optional(number, 30)
    s3_days         = optional(number, 180)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.prediction_log_retention.s3_days >= 7
    error_message = "prediction_log_retention.s3_days must be at least 7 (the monitoring job reads the previous day)."
  }
}

# Components ----------------------------------------------------------------------------------

variable "image_tags" {
  description = "Tags of the images the functions and builds are created with (\"bootstrap\" = the first images pushed by hand; releases move the inference alias, the pipeline overrides db-bootstrap's image per build)."
  type = object({
    inference    = optional(string, "bootstrap")
    training     = optional(string, "bootstrap")
    monitoring   = optional(string, "bootstrap")
    db_bootstrap = optional(string, "bootstrap")
    ci_tools     = optional(string, "bootstrap")
  })
  default  = {}
  nullable = false
}

variable "feature_store" {
  description = "Sizing and resilience of the online feature store (RDS PostgreSQL)."
  type = object({
    instance_class        = optional(string, "db.t4g.medium")
    allocated_storage_gb  = optional(number, 20)
    multi_az              = optional(bool, true)
    backup_retention_days = optional(number, 14)
    deletion_protection   = optional(bool, true)
  })
  default  = {}
  nullable = false
}

variable "feature_pipeline" {
  description = "The Glue job: worker_count, retain_runs (committed runs kept; null = the job's default) and quality_settings, the market's quality windows and thresholds (QualitySettings field => value, feature-pipeline/src/feature_pipeline/config.py) passed as --<field> job arguments."
  type = object({
    worker_count     = optional(number, 2)
    retain_runs      = optional(number)
    quality_settings = optional(map(string), {})
  })
  default  = {}
  nullable = false
}

variable "training" {
  description = "The training build: environment = the market's gate thresholds and search budget as environment variables (names in model-training/README.md); compute_type and timeout_minutes of the CodeBuild project."
  type = object({
    environment     = optional(map(string), {})
    compute_type    = optional(string, "BUILD_GENERAL1_MEDIUM")
    timeout_minutes = optional(number, 120)
  })
  default  = {}
  nullable = false
}

variable "inference" {
  description = "Sizing, stage-wide throttling and canary settings of the prediction API. known_customer_id: a customer of this market's feature store the CodeDeploy pre-traffic hook scores before any traffic shifts (with /ready and /version against the bundle); null (a market before its first feature run) = releases run without the hook."
  type = object({
    memory_mb               = optional(number, 1024)
    reserved_concurrency    = optional(number, 50)
    provisioned_concurrency = optional(number, 0)
    throttle_rate_limit     = optional(number, 100)
    throttle_burst_limit    = optional(number, 200)
    canary_percentage       = optional(number, 10)
    canary_interval_minutes = optional(number, 5)
    known_customer_id       = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.inference.known_customer_id == null || can(regex("^[0-9]{1,18}$", coalesce(var.inference.known_customer_id, "0")))
    error_message = "inference.known_customer_id must be a customer id (digits) or null."
  }
}

variable "api_consumers" {
  description = "Callers of the prediction API: name => principal_arns (the IAM roles or users it signs requests with; only they may invoke) and the limits of its own usage plan and key (rate_limit requests/s, burst_limit, monthly_quota requests), which also size its WAF rate limit. No default: each market names its callers."
  type = map(object({
    principal_arns = list(string)
    rate_limit     = number
    burst_limit    = number
    monthly_quota  = number
  }))
  nullable = false

  validation {
    condition     = !anytrue([for c in values(var.api_consumers) : anytrue([for arn in c.principal_arns : strcontains(arn, ":000000000000:")])])
    error_message = "api_consumers still holds the scaffold's placeholder account 000000000000: put the ARNs of the roles each consumer signs its requests with into principal_arns."
  }
}

variable "schedules" {
  description = "When things run (UTC): the Glue refresh (Glue cron), the monitoring job (after the refresh; EventBridge), the retraining flow and the inference warm-up ping (EventBridge)."
  type = object({
    feature_pipeline = optional(string, "cron(0 3 * * ? *)")
    monitoring       = optional(string, "cron(30 4 * * ? *)")
    retraining       = optional(string, "cron(0 4 ? * MON *)")
    warmup           = optional(string, "rate(5 minutes)")
  })
  default  = {}
  nullable = false
}

variable "alarm_email_addresses" {
  description = "Who receives alarms (each address confirms its subscription)."
  type        = set(string)
  default     = []
  nullable    = false
}

variable "manage_api_gateway_account" {
  description = "Whether this stack sets the account-wide API Gateway logging role (exactly one stack per account and region)."
  type        = bool
  default     = true
  nullable    = false
}

# CI/CD ------------------------------------------------------------------------------------------

variable "delivery" {
  description = "Release pipeline of this market/environment: the CodeStar connection to the Git host and the repository (owner/name), the Terraform state bucket and the deploy role the infra builds assume (both made by infra/bootstrap), whether a person approves before apply/deploy (prod), and promotion by artefact: release_publish (staging: the S3 object it writes the release it passed to) and release_source (prod: that object; the pipeline then deploys exactly that image digest and bundle)."
  type = object({
    source_connection_arn     = string
    repository_id             = string
    terraform_state_bucket    = string
    terraform_deploy_role_arn = string
    require_manual_approval   = bool
    # Promotion by artefact (modules/cicd): staging sets release_publish (where it writes the
    # release it passed), prod sets release_source to the same object.
    release_publish = optional(object({ bucket = string, key = string }))
    release_source  = optional(object({ bucket = string, key = string }))
  })

  validation {
    condition     = !anytrue([for arn in [var.delivery.source_connection_arn, var.delivery.terraform_deploy_role_arn] : strcontains(arn, ":000000000000:")])
    error_message = "delivery still holds the scaffold's placeholder account 000000000000: copy source_connection_arn and terraform_deploy_role_arn from the outputs of infra/bootstrap in this account."
  }
}

# Emulator ---------------------------------------------------------------------------------------

variable "emulator" {
  description = "What to leave out when applying against an AWS emulator (infra/README.md, \"Emulator override\"). omit_database_instance: the RDS instance and the proxy target (moto creates them, but the provider's waiters cost ~80 s; the proxy, secrets and roles are still made, a stand-in replaces the master secret). omit_build_projects: the CodeBuild projects and CodePipeline (moto rejects projects without a source location; every role is still made). short_recovery: delete secrets and keys with the shortest windows so destroy is clean. All false in AWS."
  type = object({
    omit_database_instance = optional(bool, false)
    omit_build_projects    = optional(bool, false)
    short_recovery         = optional(bool, false)
  })
  default  = {}
  nullable = false
}
