# The feature pipeline as a Glue Spark job: reads raw loans from the data lake, writes one run
# under <features prefix>run=<id>/ (training set, online rows, quarantine, run report, _SUCCESS),
# publishes the online store through the RDS Proxy, then moves <features prefix>_LATEST.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  job_name    = "${var.name_prefix}-feature-pipeline"
  log_group   = "/aws-glue/jobs/${var.name_prefix}"
  script_path = "s3://${var.artifacts_bucket_name}/${var.script_key}"

  default_arguments = merge(
    {
      "--job-language"                     = "python"
      "--job-bookmark-option"              = "job-bookmark-disable"
      "--enable-metrics"                   = "true"
      "--enable-observability-metrics"     = "true"
      "--enable-continuous-cloudwatch-log" = "true"
      "--continuous-log-logGroup"          = local.log_group
      "--enable-job-insights"              = "true"
      "--TempDir"                          = "s3://${var.artifacts_bucket_name}/glue/tmp/"
      "--extra-py-files"                   = join(",", [for k in var.extra_py_files_keys : "s3://${var.artifacts_bucket_name}/${k}"])
      # Dependencies Glue 5.1 lacks, as wheels from S3; --no-index: pip never reaches an index
      # (the job's subnets have no route to one), so a missing wheel fails the install loudly.
      "--additional-python-modules"       = join(",", var.python_wheels)
      "--python-modules-installer-option" = "--no-index"
      # Job inputs/outputs: feature-pipeline/glue/job.py maps these onto the pipeline's run().
      # The store URL names the pipeline's own database role and no password: with
      # --store_auth iam the job mints an IAM token per connection (docs/database-access.md).
      "--input"        = "s3://${var.raw_bucket_name}/${var.raw_object_key}"
      "--output"       = "s3://${var.features_bucket_name}/${var.features_prefix}"
      "--online_store" = "postgresql+psycopg2://${var.store_user}@${var.store_proxy_endpoint}:${var.store_port}/${var.store_database}"
      "--store_auth"   = "iam"
    },
    var.retain_runs == null ? {} : { "--retain_runs" = tostring(var.retain_runs) },
    # The market's quality windows and thresholds (feature_pipeline.config.QualitySettings fields).
    { for key, value in var.quality_settings : "--${key}" => value },
    var.job_arguments,
  )
}

resource "aws_glue_job" "this" {
  name              = local.job_name
  description       = "Raw loans -> quality-checked training set and online feature store"
  role_arn          = aws_iam_role.this.arn
  glue_version      = var.glue_version
  worker_type       = var.worker_type
  number_of_workers = var.number_of_workers
  timeout           = var.timeout_minutes
  max_retries       = var.max_retries

  security_configuration = aws_glue_security_configuration.this.name
  connections            = [aws_glue_connection.this.name]

  command {
    name            = "glueetl"
    script_location = local.script_path
    python_version  = "3"
  }

  execution_property {
    # Two concurrent runs would race on the same output prefix and store rows.
    max_concurrent_runs = 1
  }

  default_arguments = local.default_arguments

  tags = var.tags
}

resource "aws_glue_trigger" "this" {
  name     = "${local.job_name}-schedule"
  type     = "SCHEDULED"
  schedule = var.schedule_expression
  enabled  = var.schedule_enabled

  actions {
    job_name = aws_glue_job.this.name
  }

  tags = var.tags
}

resource "aws_glue_security_configuration" "this" {
  name = "${local.job_name}-encryption"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}
