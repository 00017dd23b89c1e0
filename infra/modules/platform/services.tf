# The deployed services. Each connects to the store as its own database role through the proxy
# with IAM authentication (URL = role@proxy, no password, <...>_AUTH=iam) and gets rds-db:connect
# on exactly that role's dbuser ARN; none can read the master secret.
module "feature_pipeline" {
  source = "../feature_pipeline"

  name_prefix           = module.labels.name_prefix
  tags                  = module.labels.tags
  kms_key_arn           = module.kms.key_arn
  number_of_workers     = var.feature_pipeline.worker_count
  schedule_expression   = var.schedules.feature_pipeline
  artifacts_bucket_name = module.data_lake.bucket_names["artifacts"]
  raw_bucket_name       = module.data_lake.bucket_names["raw"]
  features_bucket_name  = module.data_lake.bucket_names["features"]
  features_prefix       = local.features_prefix
  vpc_id                = module.network.vpc_id
  vpc_cidr              = module.network.vpc_cidr
  subnet_id             = module.network.private_subnet_ids[0]
  availability_zone     = var.availability_zones[0]
  s3_prefix_list_id     = module.network.s3_prefix_list_id
  store_proxy_endpoint  = module.feature_store.proxy_endpoint
  store_port            = local.store_port
  store_database        = module.feature_store.database_name
  store_user            = local.database_roles.feature_pipeline
  store_db_user_arn     = module.feature_store.db_user_arns[local.database_roles.feature_pipeline]
  quality_settings      = var.feature_pipeline.quality_settings
  retain_runs           = var.feature_pipeline.retain_runs
  python_wheels         = local.python_wheels
  log_retention_days    = var.log_retention_days
}

module "inference" {
  source = "../inference"

  name_prefix                 = module.labels.name_prefix
  tags                        = module.labels.tags
  image_uri                   = "${module.ecr.repository_urls["inference"]}:${var.image_tags.inference}"
  kms_key_arn                 = module.kms.key_arn
  vpc_id                      = module.network.vpc_id
  vpc_cidr                    = module.network.vpc_cidr
  subnet_ids                  = module.network.private_subnet_ids
  s3_prefix_list_id           = module.network.s3_prefix_list_id
  store_proxy_endpoint        = module.feature_store.proxy_endpoint
  store_port                  = local.store_port
  store_database              = module.feature_store.database_name
  store_user                  = local.database_roles.inference
  store_db_user_arn           = module.feature_store.db_user_arns[local.database_roles.inference]
  customer_ref_key_secret_arn = module.customer_ref_key.secret_arn
  memory_mb                   = var.inference.memory_mb
  reserved_concurrency        = var.inference.reserved_concurrency
  provisioned_concurrency     = var.inference.provisioned_concurrency
  throttle_rate_limit         = var.inference.throttle_rate_limit
  throttle_burst_limit        = var.inference.throttle_burst_limit
  api_consumers               = var.api_consumers
  canary_percentage           = var.inference.canary_percentage
  canary_interval_minutes     = var.inference.canary_interval_minutes
  # Canary rollback: the module's per-version alarms only. The whole-alias alarms
  # (deployment_alarm_names) would judge the canary diluted by the old version's traffic and roll
  # a new version back for the old one's trouble; they notify the topic instead.
  pre_traffic_hook = var.inference.known_customer_id == null ? null : {
    s3_bucket         = module.data_lake.bucket_names["artifacts"]
    s3_key            = "${module.cicd.release_hook_key_prefix}pre_traffic_hook-${filesha256("${local.repo_root}/scripts/release-tool/src/release_tool/pre_traffic_hook.py")}.zip"
    known_customer_id = var.inference.known_customer_id
  }
  manage_api_gateway_account  = var.manage_api_gateway_account
  function_log_retention_days = var.prediction_log_retention.cloudwatch_days
  log_retention_days          = var.log_retention_days
}

module "monitoring" {
  source = "../monitoring"

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
  # Dependency changes: scan findings of every image the market runs or builds with.
  image_repository_names = values(module.ecr.repository_names)

  # Prediction log (inference log group -> Firehose -> features bucket) and the daily job.
  prediction_log_group_name   = module.inference.log_group_name
  features_bucket_name        = module.data_lake.bucket_names["features"]
  artifacts_bucket_name       = module.data_lake.bucket_names["artifacts"]
  runner_image_uri            = "${module.ecr.repository_urls["monitoring"]}:${var.image_tags.monitoring}"
  runner_schedule             = var.schedules.monitoring
  vpc_id                      = module.network.vpc_id
  vpc_cidr                    = module.network.vpc_cidr
  subnet_ids                  = module.network.private_subnet_ids
  s3_prefix_list_id           = module.network.s3_prefix_list_id
  store_proxy_endpoint        = module.feature_store.proxy_endpoint
  store_port                  = local.store_port
  store_database              = module.feature_store.database_name
  store_user                  = local.database_roles.monitoring
  store_db_user_arn           = module.feature_store.db_user_arns[local.database_roles.monitoring]
  customer_ref_key_secret_arn = module.customer_ref_key.secret_arn
  lake_prefix                 = local.features_prefix
  log_retention_days          = var.log_retention_days
}
