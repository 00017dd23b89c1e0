# One market/environment of the credit-risk platform. Modules only; values in terraform.tfvars.

module "labels" {
  source = "../../../modules/naming"

  market      = var.market
  environment = var.environment
  owner       = var.owner
}

module "kms" {
  source = "../../../modules/kms"

  name_prefix = module.labels.name_prefix
  tags        = module.labels.tags
}

module "network" {
  source = "../../../modules/network"

  name_prefix        = module.labels.name_prefix
  tags               = module.labels.tags
  vpc_cidr           = var.vpc_cidr
  availability_zones = var.availability_zones
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
}

module "data_lake" {
  source = "../../../modules/data_lake"

  name_prefix   = module.labels.name_prefix
  tags          = module.labels.tags
  kms_key_arn   = module.kms.key_arn
  force_destroy = var.force_destroy
}

module "ecr" {
  source = "../../../modules/ecr"

  name_prefix  = module.labels.name_prefix
  tags         = module.labels.tags
  kms_key_arn  = module.kms.key_arn
  force_delete = var.force_destroy
}

module "feature_store" {
  source = "../../../modules/feature_store"

  name_prefix = module.labels.name_prefix
  tags        = module.labels.tags
  vpc_id      = module.network.vpc_id
  subnet_ids  = module.network.private_subnet_ids
  kms_key_arn = module.kms.key_arn

  client_security_group_ids = {
    inference        = module.inference.security_group_id
    feature-pipeline = module.feature_pipeline.security_group_id
    training         = module.cicd.training_security_group_id
    monitoring       = module.monitoring.runner_security_group_id
  }

  instance_class        = var.feature_store.instance_class
  allocated_storage_gb  = var.feature_store.allocated_storage_gb
  multi_az              = var.feature_store.multi_az
  backup_retention_days = var.feature_store.backup_retention_days
  deletion_protection   = var.feature_store.deletion_protection
  log_retention_days    = var.log_retention_days
}

module "feature_pipeline" {
  source = "../../../modules/feature_pipeline"

  name_prefix           = module.labels.name_prefix
  tags                  = module.labels.tags
  kms_key_arn           = module.kms.key_arn
  number_of_workers     = var.glue_worker_count
  artifacts_bucket_name = module.data_lake.bucket_names["artifacts"]
  raw_bucket_name       = module.data_lake.bucket_names["raw"]
  features_bucket_name  = module.data_lake.bucket_names["features"]
  vpc_id                = module.network.vpc_id
  vpc_cidr              = module.network.vpc_cidr
  subnet_id             = module.network.private_subnet_ids[0]
  availability_zone     = var.availability_zones[0]
  s3_prefix_list_id     = module.network.s3_prefix_list_id
  store_secret_arn      = module.feature_store.master_user_secret_arn
  store_host            = module.feature_store.db_instance_address
  store_database        = module.feature_store.database_name
  log_retention_days    = var.log_retention_days

  # Dependency wheels uploaded by ci/scripts/upload-glue-script.sh under the Glue prefix; the
  # committed manifest lists their keys (generated from feature-pipeline/requirements.txt).
  python_wheels = [
    for key in regexall("(?m)^wheels/\\S+\\.whl$", file("${path.root}/../../../../feature-pipeline/glue/wheels.txt")) :
    "s3://${module.data_lake.bucket_names["artifacts"]}/glue/feature_pipeline/${key}"
  ]
}

module "inference" {
  source = "../../../modules/inference"

  name_prefix                = module.labels.name_prefix
  tags                       = module.labels.tags
  image_uri                  = "${module.ecr.repository_urls["inference"]}:${var.inference_image_tag}"
  kms_key_arn                = module.kms.key_arn
  vpc_id                     = module.network.vpc_id
  vpc_cidr                   = module.network.vpc_cidr
  subnet_ids                 = module.network.private_subnet_ids
  s3_prefix_list_id          = module.network.s3_prefix_list_id
  store_proxy_endpoint       = module.feature_store.proxy_endpoint
  store_database             = module.feature_store.database_name
  store_secret_arn           = module.feature_store.master_user_secret_arn
  memory_mb                  = var.inference.memory_mb
  reserved_concurrency       = var.inference.reserved_concurrency
  provisioned_concurrency    = var.inference.provisioned_concurrency
  throttle_rate_limit        = var.inference.throttle_rate_limit
  throttle_burst_limit       = var.inference.throttle_burst_limit
  canary_percentage          = var.inference.canary_percentage
  canary_interval_minutes    = var.inference.canary_interval_minutes
  rollback_alarm_names       = module.monitoring.deployment_alarm_names
  manage_api_gateway_account = var.manage_api_gateway_account
  log_retention_days         = var.log_retention_days
}

module "monitoring" {
  source = "../../../modules/monitoring"

  name_prefix           = module.labels.name_prefix
  tags                  = module.labels.tags
  kms_key_arn           = module.kms.key_arn
  alarm_email_addresses = var.alarm_email_addresses
  function_name         = module.inference.function_name
  alias_name            = module.inference.alias_name
  api_name              = module.inference.rest_api_name
  stage_name            = module.inference.stage_name
  glue_job_name         = module.feature_pipeline.job_name
  state_machine_arn     = module.orchestration.state_machine_arn

  # Prediction log (inference log group -> Firehose -> features bucket) and the daily job.
  prediction_log_group_name = module.inference.log_group_name
  features_bucket_name      = module.data_lake.bucket_names["features"]
  artifacts_bucket_name     = module.data_lake.bucket_names["artifacts"]
  runner_image_uri          = "${module.ecr.repository_urls["monitoring"]}:${var.monitoring_image_tag}"
  vpc_id                    = module.network.vpc_id
  vpc_cidr                  = module.network.vpc_cidr
  subnet_ids                = module.network.private_subnet_ids
  s3_prefix_list_id         = module.network.s3_prefix_list_id
  store_secret_arn          = module.feature_store.master_user_secret_arn
  store_host                = module.feature_store.db_instance_address
  store_database            = module.feature_store.database_name
  log_retention_days        = var.log_retention_days
}

module "orchestration" {
  source = "../../../modules/orchestration"

  name_prefix           = module.labels.name_prefix
  tags                  = module.labels.tags
  kms_key_arn           = module.kms.key_arn
  glue_job_name         = module.feature_pipeline.job_name
  glue_job_arn          = module.feature_pipeline.job_arn
  training_project_name = module.cicd.training_project_name
  training_project_arn  = module.cicd.training_project_arn
  release_pipeline_name = module.cicd.pipeline_name
  release_pipeline_arn  = module.cicd.pipeline_arn
  topic_arn             = module.monitoring.topic_arn
  function_name         = module.inference.function_name
  alias_name            = module.inference.alias_name
  alias_arn             = module.inference.alias_arn
  log_retention_days    = var.log_retention_days
}

module "cicd" {
  source = "../../../modules/cicd"

  name_prefix           = module.labels.name_prefix
  tags                  = module.labels.tags
  market                = module.labels.market
  environment           = module.labels.environment
  kms_key_arn           = module.kms.key_arn
  source_connection_arn = var.source_connection_arn
  repository_id         = var.repository_id
  artifacts_bucket_name = module.data_lake.bucket_names["artifacts"]

  image_repositories = {
    # Build contexts as each Dockerfile documents: inference builds from its folder, training from the repo root.
    inference = { url = module.ecr.repository_urls["inference"], arn = module.ecr.repository_arns["inference"], context = "inference-service", build_context = "inference-service" }
    training  = { url = module.ecr.repository_urls["training"], arn = module.ecr.repository_arns["training"], context = "model-training", build_context = "." }
    # The monitoring Dockerfile copies risk-monitoring/ paths: built from the repo root.
    monitoring = { url = module.ecr.repository_urls["monitoring"], arn = module.ecr.repository_arns["monitoring"], context = "risk-monitoring", build_context = "." }
  }

  terraform_state_bucket           = var.terraform_state_bucket
  terraform_deploy_role_arn        = var.terraform_deploy_role_arn
  require_manual_approval          = var.require_manual_approval
  approval_topic_arn               = module.monitoring.topic_arn
  function_name                    = module.inference.function_name
  function_arn                     = module.inference.function_arn
  codedeploy_app_name              = module.inference.codedeploy_app_name
  codedeploy_deployment_group_name = module.inference.codedeploy_deployment_group_name
  log_retention_days               = var.log_retention_days

  training_image_uri      = "${module.ecr.repository_urls["training"]}:${var.training_image_tag}"
  training_repository_arn = module.ecr.repository_arns["training"]
  training_buildspec      = file("${path.root}/../../../../ci/buildspecs/train.yml")
  features_bucket_name    = module.data_lake.bucket_names["features"]
  raw_bucket_name         = module.data_lake.bucket_names["raw"]
  raw_object_key          = module.feature_pipeline.raw_object_key
  store_secret_arn        = module.feature_store.master_user_secret_arn
  # Direct to the instance, like the Glue job: the RDS Proxy requires IAM auth, and MLflow
  # authenticates with the password from store_secret_arn (added by train.yml).
  mlflow_tracking_uri = "postgresql+psycopg2://${module.feature_store.master_username}@${module.feature_store.db_instance_address}:5432/mlflow?sslmode=require"
  vpc_id              = module.network.vpc_id
  vpc_cidr            = module.network.vpc_cidr
  subnet_ids          = module.network.private_subnet_ids
  s3_prefix_list_id   = module.network.s3_prefix_list_id
}
