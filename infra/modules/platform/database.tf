# The feature store and MLflow database, the per-service secrets the proxy logs in with, the
# customer_ref key, and db-bootstrap: the one component that uses the master user.
module "feature_store" {
  source = "../feature_store"

  name_prefix   = module.labels.name_prefix
  tags          = module.labels.tags
  vpc_id        = module.network.vpc_id
  subnet_ids    = module.network.private_subnet_ids
  kms_key_arn   = module.kms.key_arn
  port          = local.store_port
  service_roles = toset(values(local.database_roles))

  client_security_group_ids = {
    inference        = module.inference.security_group_id
    feature-pipeline = module.feature_pipeline.security_group_id
    training         = module.cicd.training_security_group_id
    monitoring       = module.monitoring.runner_security_group_id
    registry-access  = module.registry_access.security_group_id
  }
  admin_security_group_ids = {
    db-bootstrap = module.db_bootstrap.security_group_id
  }

  create_instance             = !var.emulator.omit_database_instance
  secret_recovery_window_days = var.emulator.short_recovery ? 0 : 7

  instance_class        = var.feature_store.instance_class
  allocated_storage_gb  = var.feature_store.allocated_storage_gb
  multi_az              = var.feature_store.multi_az
  backup_retention_days = var.feature_store.backup_retention_days
  deletion_protection   = var.feature_store.deletion_protection
  log_retention_days    = var.log_retention_days
}

module "customer_ref_key" {
  source = "../customer_ref_key"

  name_prefix          = module.labels.name_prefix
  tags                 = module.labels.tags
  kms_key_arn          = module.kms.key_arn
  recovery_window_days = var.emulator.short_recovery ? 0 : 30
}

module "db_bootstrap" {
  source = "../db_bootstrap"

  name_prefix          = module.labels.name_prefix
  tags                 = module.labels.tags
  kms_key_arn          = module.kms.key_arn
  master_secret_arn    = module.feature_store.master_user_secret_arn
  service_secret_arns  = module.feature_store.service_secret_arns
  db_host              = coalesce(module.feature_store.db_instance_address, "${module.feature_store.db_instance_identifier}.emulated.invalid")
  db_port              = local.store_port
  db_security_group_id = module.feature_store.security_group_id
  image_uri            = "${module.ecr.repository_urls["db-bootstrap"]}:${var.image_tags.db_bootstrap}"
  repository_arn       = module.ecr.repository_arns["db-bootstrap"]
  buildspec            = file("${local.repo_root}/ci/buildspecs/db-bootstrap.yml")
  vpc_id               = module.network.vpc_id
  vpc_cidr             = module.network.vpc_cidr
  subnet_ids           = module.network.private_subnet_ids
  s3_prefix_list_id    = module.network.s3_prefix_list_id
  create_project       = !var.emulator.omit_build_projects
  log_retention_days   = var.log_retention_days
}
