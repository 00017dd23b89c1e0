# A market root reduced to what the moto server can apply quickly, calling the SAME modules as
# infra/live/<market>/<env>. Left out, and why (see infra/README.md):
#   - feature_store: moto creates RDS instances and proxies, but the provider's status waiters
#     add ~3 minutes; its place is taken by a Secrets Manager secret and fixed host names.
#   - cicd: moto's CodeBuild rejects CODEPIPELINE/NO_SOURCE projects ("source location is
#     required") and CodePipeline would need them; the state machine gets their names as text.
# The full market roots are still initialised, validated and planned against moto by the tests.

module "labels" {
  source = "../../modules/naming"

  market      = var.market
  environment = "staging"
}

module "kms" {
  source = "../../modules/kms"

  name_prefix             = module.labels.name_prefix
  tags                    = module.labels.tags
  deletion_window_in_days = 7
}

module "network" {
  source = "../../modules/network"

  name_prefix        = module.labels.name_prefix
  tags               = module.labels.tags
  availability_zones = ["${var.aws_region}a", "${var.aws_region}b"]
  kms_key_arn        = module.kms.key_arn
}

module "data_lake" {
  source = "../../modules/data_lake"

  name_prefix   = module.labels.name_prefix
  tags          = module.labels.tags
  kms_key_arn   = module.kms.key_arn
  force_destroy = true
}

module "ecr" {
  source = "../../modules/ecr"

  name_prefix  = module.labels.name_prefix
  tags         = module.labels.tags
  kms_key_arn  = module.kms.key_arn
  force_delete = true
}

# Stands in for the RDS-managed master user secret of the feature_store module.
resource "aws_secretsmanager_secret" "store" {
  #checkov:skip=CKV2_AWS_57:Emulator-only stand-in; the real secret is managed and rotated by RDS.
  name                    = "${module.labels.name_prefix}-store-standin"
  kms_key_id              = module.kms.key_arn
  recovery_window_in_days = 0
}

locals {
  store_host     = "features.emulated.internal"
  store_database = "features"
}

module "feature_pipeline" {
  source = "../../modules/feature_pipeline"

  name_prefix           = module.labels.name_prefix
  tags                  = module.labels.tags
  kms_key_arn           = module.kms.key_arn
  artifacts_bucket_name = module.data_lake.bucket_names["artifacts"]
  raw_bucket_name       = module.data_lake.bucket_names["raw"]
  features_bucket_name  = module.data_lake.bucket_names["features"]
  vpc_id                = module.network.vpc_id
  vpc_cidr              = module.network.vpc_cidr
  subnet_id             = module.network.private_subnet_ids[0]
  availability_zone     = "${var.aws_region}a"
  s3_prefix_list_id     = module.network.s3_prefix_list_id
  store_secret_arn      = aws_secretsmanager_secret.store.arn
  store_host            = local.store_host
  store_database        = local.store_database

  # Wired as in the market roots (infra/live/*/*/main.tf).
  python_wheels = [
    for key in regexall("(?m)^wheels/\\S+\\.whl$", file("${path.root}/../../../feature-pipeline/glue/wheels.txt")) :
    "s3://${module.data_lake.bucket_names["artifacts"]}/glue/feature_pipeline/${key}"
  ]
}

module "inference" {
  source = "../../modules/inference"

  name_prefix          = module.labels.name_prefix
  tags                 = module.labels.tags
  image_uri            = "${module.ecr.repository_urls["inference"]}:bootstrap"
  kms_key_arn          = module.kms.key_arn
  vpc_id               = module.network.vpc_id
  vpc_cidr             = module.network.vpc_cidr
  subnet_ids           = module.network.private_subnet_ids
  s3_prefix_list_id    = module.network.s3_prefix_list_id
  store_proxy_endpoint = "proxy.${local.store_host}"
  store_database       = local.store_database
  store_secret_arn     = aws_secretsmanager_secret.store.arn
  reserved_concurrency = 5
  rollback_alarm_names = module.monitoring.deployment_alarm_names
}

module "monitoring" {
  source = "../../modules/monitoring"

  name_prefix       = module.labels.name_prefix
  tags              = module.labels.tags
  kms_key_arn       = module.kms.key_arn
  function_name     = module.inference.function_name
  alias_name        = module.inference.alias_name
  api_name          = module.inference.rest_api_name
  stage_name        = module.inference.stage_name
  glue_job_name     = module.feature_pipeline.job_name
  state_machine_arn = module.orchestration.state_machine_arn

  # Wired as in the market roots (infra/live/*/*/main.tf).
  prediction_log_group_name = module.inference.log_group_name
  features_bucket_name      = module.data_lake.bucket_names["features"]
  artifacts_bucket_name     = module.data_lake.bucket_names["artifacts"]
  runner_image_uri          = "${module.ecr.repository_urls["monitoring"]}:bootstrap"
  vpc_id                    = module.network.vpc_id
  vpc_cidr                  = module.network.vpc_cidr
  subnet_ids                = module.network.private_subnet_ids
  s3_prefix_list_id         = module.network.s3_prefix_list_id
  store_secret_arn          = aws_secretsmanager_secret.store.arn
  store_host                = local.store_host
  store_database            = local.store_database
}

locals {
  account_id = split(":", module.kms.key_arn)[4]
}

module "orchestration" {
  source = "../../modules/orchestration"

  name_prefix           = module.labels.name_prefix
  tags                  = module.labels.tags
  kms_key_arn           = module.kms.key_arn
  glue_job_name         = module.feature_pipeline.job_name
  glue_job_arn          = module.feature_pipeline.job_arn
  training_project_name = "${module.labels.name_prefix}-training"
  training_project_arn  = "arn:aws:codebuild:${var.aws_region}:${local.account_id}:project/${module.labels.name_prefix}-training"
  release_pipeline_name = "${module.labels.name_prefix}-release"
  release_pipeline_arn  = "arn:aws:codepipeline:${var.aws_region}:${local.account_id}:${module.labels.name_prefix}-release"
  topic_arn             = module.monitoring.topic_arn
  function_name         = module.inference.function_name
  alias_name            = module.inference.alias_name
  alias_arn             = module.inference.alias_arn
}
