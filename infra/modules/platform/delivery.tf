# Retraining flow, CI projects and the release pipeline.
module "orchestration" {
  source = "../orchestration"

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
  retraining_schedule   = var.schedules.retraining
  warmup_schedule       = var.schedules.warmup
  log_retention_days    = var.log_retention_days
}

module "cicd" {
  source = "../cicd"

  name_prefix           = module.labels.name_prefix
  tags                  = module.labels.tags
  market                = module.labels.market
  environment           = module.labels.environment
  kms_key_arn           = module.kms.key_arn
  source_connection_arn = var.delivery.source_connection_arn
  repository_id         = var.delivery.repository_id
  artifacts_bucket_name = module.data_lake.bucket_names["artifacts"]
  create_projects       = !var.emulator.omit_build_projects

  image_repositories = {
    # Build contexts as each Dockerfile documents: inference and the CI tools build from their
    # folder, the others from the repository root.
    inference    = { url = module.ecr.repository_urls["inference"], arn = module.ecr.repository_arns["inference"], context = "inference-service", build_context = "inference-service" }
    training     = { url = module.ecr.repository_urls["training"], arn = module.ecr.repository_arns["training"], context = "model-training", build_context = "." }
    monitoring   = { url = module.ecr.repository_urls["monitoring"], arn = module.ecr.repository_arns["monitoring"], context = "risk-monitoring", build_context = "." }
    db-bootstrap = { url = module.ecr.repository_urls["db-bootstrap"], arn = module.ecr.repository_arns["db-bootstrap"], context = "db-bootstrap", build_context = "." }
    ci-tools     = { url = module.ecr.repository_urls["ci-tools"], arn = module.ecr.repository_arns["ci-tools"], context = "ci/image", build_context = "ci/image" }
  }

  terraform_state_bucket           = var.delivery.terraform_state_bucket
  terraform_deploy_role_arn        = var.delivery.terraform_deploy_role_arn
  require_manual_approval          = var.delivery.require_manual_approval
  approval_topic_arn               = module.monitoring.topic_arn
  function_name                    = module.inference.function_name
  function_arn                     = module.inference.function_arn
  codedeploy_app_name              = module.inference.codedeploy_app_name
  codedeploy_deployment_group_name = module.inference.codedeploy_deployment_group_name
  db_bootstrap_project_name        = module.db_bootstrap.project_name
  pre_traffic_hook_function_name   = module.inference.pre_traffic_hook_function_name
  log_retention_days               = var.log_retention_days

  # Test, infra and deploy builds run in the CI tools image (pinned terraform + provider
  # mirror); the pipeline's ci-tools build pushes new tags, the first one is pushed by hand.
  ci_tools_image_uri      = "${module.ecr.repository_urls["ci-tools"]}:${var.image_tags.ci_tools}"
  ci_tools_repository_arn = module.ecr.repository_arns["ci-tools"]

  # Promotion by artefact: staging publishes the release it passed, prod deploys exactly it.
  release_publish = var.delivery.release_publish
  release_source  = var.delivery.release_source

  training_image_uri       = "${module.ecr.repository_urls["training"]}:${var.image_tags.training}"
  training_repository_arn  = module.ecr.repository_arns["training"]
  training_buildspec       = file("${local.repo_root}/ci/buildspecs/train.yml")
  training_environment     = var.training.environment
  training_compute_type    = var.training.compute_type
  training_timeout_minutes = var.training.timeout_minutes
  features_bucket_name     = module.data_lake.bucket_names["features"]
  features_prefix          = local.features_prefix
  raw_bucket_name          = module.data_lake.bucket_names["raw"]
  raw_object_key           = module.feature_pipeline.raw_object_key
  mlflow_tracking_uri      = "postgresql+psycopg2://${local.database_roles.mlflow}@${module.feature_store.proxy_endpoint}:${local.store_port}/${local.mlflow_database}"
  mlflow_db_user_arn       = module.feature_store.db_user_arns[local.database_roles.mlflow]
  vpc_id                   = module.network.vpc_id
  vpc_cidr                 = module.network.vpc_cidr
  subnet_ids               = module.network.private_subnet_ids
  s3_prefix_list_id        = module.network.s3_prefix_list_id
}
