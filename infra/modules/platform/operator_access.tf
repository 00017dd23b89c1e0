# How operators reach the private registry and store: SSM port forwarding through a host with no
# inbound rule (modules/registry_access; scripts/platform-status/README.md).
module "registry_access" {
  source = "../registry_access"

  name_prefix             = module.labels.name_prefix
  tags                    = module.labels.tags
  kms_key_arn             = module.kms.key_arn
  create_host             = !var.emulator.omit_database_instance
  vpc_id                  = module.network.vpc_id
  vpc_cidr                = module.network.vpc_cidr
  subnet_ids              = module.network.private_subnet_ids
  proxy_security_group_id = module.feature_store.proxy_security_group_id
  proxy_port              = local.store_port
  mlflow_db_user_arn      = module.feature_store.db_user_arns[local.database_roles.mlflow]
  monitoring_db_user_arn  = module.feature_store.db_user_arns[local.database_roles.monitoring]
  function_arn            = module.inference.function_arn
  artifacts_bucket_arn    = module.data_lake.bucket_arns["artifacts"]
}
