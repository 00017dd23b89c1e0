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

variable "glue_version" {
  description = "AWS Glue version of the Spark job (5.1 = Spark 3.5, Python 3.11)."
  type        = string
  default     = "5.1"

  validation {
    condition     = contains(["4.0", "5.0", "5.1"], var.glue_version)
    error_message = "glue_version must be 4.0, 5.0 or 5.1."
  }
}

variable "worker_type" {
  description = "Glue worker type."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"], var.worker_type)
    error_message = "worker_type must be one of G.025X, G.1X, G.2X, G.4X, G.8X."
  }
}

variable "number_of_workers" {
  description = "Number of Glue workers (including the driver)."
  type        = number
  default     = 2

  validation {
    condition     = var.number_of_workers >= 2 && var.number_of_workers <= 100
    error_message = "number_of_workers must be between 2 and 100."
  }
}

variable "timeout_minutes" {
  description = "Job run timeout."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout_minutes >= 5 && var.timeout_minutes <= 2880
    error_message = "timeout_minutes must be between 5 and 2880."
  }
}

variable "max_retries" {
  description = "Automatic retries of a failed run (the job is idempotent: output is committed by _SUCCESS last)."
  type        = number
  default     = 1

  validation {
    condition     = var.max_retries >= 0 && var.max_retries <= 10
    error_message = "max_retries must be between 0 and 10."
  }
}

variable "schedule_expression" {
  description = "Glue trigger cron expression for the daily online-store refresh."
  type        = string
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be a Glue cron(...) expression."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule trigger starts the job."
  type        = bool
  default     = true
}

variable "artifacts_bucket_name" {
  description = "Bucket holding the Glue entry script, the zipped feature_pipeline package and the dependency wheels (under glue/)."
  type        = string
}

variable "script_key" {
  description = "S3 key of the Glue entry script in the artifacts bucket (uploaded by ci/buildspecs/upload-glue-script.yml)."
  type        = string
  default     = "glue/feature_pipeline/job.py"
}

variable "extra_py_files_keys" {
  description = "S3 keys (in the artifacts bucket) of extra Python modules for the job (.py or .zip), e.g. the zipped feature_pipeline package."
  type        = list(string)
  default     = ["glue/feature_pipeline/feature_pipeline.zip"]
}

variable "python_wheels" {
  description = "S3 URIs of the wheels of the job's Python dependencies that the Glue runtime lacks (uploaded by ci/scripts/upload-glue-script.sh, listed in feature-pipeline/glue/wheels.txt); passed as --additional-python-modules and installed with pip --no-index."
  type        = list(string)

  validation {
    condition     = length(var.python_wheels) > 0 && alltrue([for w in var.python_wheels : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^,[:space:]]+\\.whl$", w))])
    error_message = "python_wheels must be a non-empty list of s3://bucket/key.whl URIs (no commas or spaces)."
  }

  validation {
    condition     = alltrue([for w in var.python_wheels : startswith(w, "s3://${var.artifacts_bucket_name}/glue/")])
    error_message = "python_wheels must be under s3://<artifacts_bucket_name>/glue/, the only prefix the job role may read."
  }

  validation {
    condition     = length(distinct([for w in var.python_wheels : basename(w)])) == length(var.python_wheels)
    error_message = "python_wheels must not list the same wheel file twice."
  }
}

variable "raw_bucket_name" {
  description = "Bucket with the raw loans files (read-only for the job)."
  type        = string
}

variable "raw_object_key" {
  description = "S3 key of the raw loans CSV (contract 1) in the raw bucket; the job reads exactly this one object."
  type        = string
  default     = "loans/loans.csv"

  validation {
    condition     = can(regex("^[^/].*[^/]$", var.raw_object_key))
    error_message = "raw_object_key must be an object key (no leading or trailing /), e.g. loans/loans.csv."
  }
}

variable "features_bucket_name" {
  description = "Bucket receiving the feature pipeline output (training_set/, quarantine/, run_report.json, _SUCCESS)."
  type        = string
}

variable "features_prefix" {
  description = "Prefix of the pipeline output in the features bucket; the job role may write only under it."
  type        = string
  default     = "features/"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._=-]*/$", var.features_prefix))
    error_message = "features_prefix must be one path segment ending in / (e.g. features/), so that the role's grant cannot match a sibling prefix."
  }
}

variable "job_arguments" {
  description = "Extra job arguments (names with leading --) merged over the defaults."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.job_arguments) : startswith(k, "--")])
    error_message = "job_arguments keys must start with --."
  }
}

variable "kms_key_arn" {
  description = "Platform KMS key (data lake objects, job logs, bookmarks)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "vpc_id" {
  description = "VPC of the feature store; the job runs inside it to write the online store."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of that VPC (egress to the database and interface endpoints)."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet the Glue connection places its network interfaces in."
  type        = string
}

variable "availability_zone" {
  description = "Availability zone of subnet_id."
  type        = string
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint (egress rule)."
  type        = string
}

variable "store_proxy_endpoint" {
  description = "RDS Proxy endpoint of the feature store (the job connects through it with IAM authentication)."
  type        = string
}

variable "store_port" {
  description = "Port of the RDS Proxy."
  type        = number
  default     = 5432
}

variable "store_database" {
  description = "Feature store database name."
  type        = string
}

variable "store_user" {
  description = "PostgreSQL role the job logs in as (owner of the store table)."
  type        = string
  default     = "feature_pipeline"
}

variable "store_db_user_arn" {
  description = "rds-db:connect resource of store_user on the proxy (arn:...:dbuser:<proxy resource id>/<role>)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:rds-db:[a-z0-9-]+:[0-9]{12}:dbuser:[^/]+/[a-z_][a-z0-9_]*$", var.store_db_user_arn))
    error_message = "store_db_user_arn must be arn:<partition>:rds-db:<region>:<account>:dbuser:<proxy resource id>/<role>."
  }
}

variable "quality_settings" {
  description = "The market's quality windows and thresholds: QualitySettings field name => value (feature-pipeline/src/feature_pipeline/config.py), passed as --<field> <value> job arguments."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.quality_settings) : can(regex("^[a-z][a-z0-9_]*$", k))])
    error_message = "quality_settings keys must be QualitySettings field names (lowercase, underscores), without leading --."
  }

  validation {
    condition     = length(setintersection(keys(var.quality_settings), ["input", "output", "online_store", "store_auth", "as_of", "run_id", "allow_shrink", "retain_runs"])) == 0
    error_message = "quality_settings must not set the job's run options (input, output, online_store, store_auth, as_of, run_id, allow_shrink, retain_runs)."
  }
}

variable "retain_runs" {
  description = "How many committed runs the job keeps under the features prefix (--retain_runs); null = the job's default."
  type        = number
  default     = null

  validation {
    condition     = var.retain_runs == null || try(var.retain_runs >= 1 && floor(var.retain_runs) == var.retain_runs, false)
    error_message = "retain_runs must be null or a whole number >= 1."
  }
}

variable "log_retention_days" {
  description = "Retention of the job's CloudWatch logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}
