# One market/environment of the credit-risk platform: the composition every live root and the
# emulator root call. It holds no resources of its own, only the wiring between the component
# modules; per-market values arrive through its variables (terraform.tfvars of the root).
locals {
  repo_root = "${path.module}/../../.."

  # The PostgreSQL roles of docs/database-access.md: one per service, each behind the proxy with
  # IAM authentication and its own secret.
  database_roles = {
    feature_pipeline = "feature_pipeline"
    inference        = "inference"
    monitoring       = "monitoring"
    mlflow           = "mlflow"
  }
  mlflow_database = "mlflow"
  features_prefix = "features/"

  # Dependency wheels uploaded by ci/scripts/upload-glue-script.sh under the Glue prefix; the
  # committed manifest lists their keys (generated from feature-pipeline's lock).
  glue_prefix = "glue/feature_pipeline/"
  python_wheels = [
    for key in regexall("(?m)^wheels/\\S+\\.whl$", file("${local.repo_root}/feature-pipeline/glue/wheels.txt")) :
    "s3://${module.data_lake.bucket_names["artifacts"]}/${local.glue_prefix}${key}"
  ]

  store_port = 5432
}

module "labels" {
  source = "../naming"

  market      = var.market
  environment = var.environment
  owner       = var.owner
}

module "kms" {
  source = "../kms"

  name_prefix             = module.labels.name_prefix
  tags                    = module.labels.tags
  deletion_window_in_days = var.emulator.short_recovery ? 7 : 30
}

module "network" {
  source = "../network"

  name_prefix        = module.labels.name_prefix
  tags               = module.labels.tags
  vpc_cidr           = var.vpc_cidr
  availability_zones = var.availability_zones
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  s3_bucket_arns     = values(module.data_lake.bucket_arns)
}

module "data_lake" {
  source = "../data_lake"

  name_prefix   = module.labels.name_prefix
  tags          = module.labels.tags
  kms_key_arn   = module.kms.key_arn
  force_destroy = var.force_destroy

  buckets = {
    raw = { transition_to_ia_days = 90, noncurrent_version_expiration_days = 90 }
    # predictions/: the prediction log delivered by the monitoring module's Firehose stream.
    features = {
      transition_to_ia_days              = 60
      noncurrent_version_expiration_days = 30
      expiration_prefixes = {
        "predictions/"        = var.prediction_log_retention.s3_days
        "predictions-errors/" = 30
      }
    }
    artifacts = { transition_to_ia_days = 180, noncurrent_version_expiration_days = 365 }
  }
}

module "ecr" {
  source = "../ecr"

  name_prefix  = module.labels.name_prefix
  tags         = module.labels.tags
  kms_key_arn  = module.kms.key_arn
  force_delete = var.force_destroy
}
