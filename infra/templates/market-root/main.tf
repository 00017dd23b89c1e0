# One market/environment of the credit-risk platform. The values are in terraform.tfvars; what
# they build is infra/modules/platform. Scaffolded by `make new-market`.
module "platform" {
  source = "../../../modules/platform"

  market                     = var.market
  environment                = var.environment
  owner                      = var.owner
  availability_zones         = var.availability_zones
  vpc_cidr                   = var.vpc_cidr
  force_destroy              = var.force_destroy
  log_retention_days         = var.log_retention_days
  prediction_log_retention   = var.prediction_log_retention
  image_tags                 = var.image_tags
  feature_store              = var.feature_store
  feature_pipeline           = var.feature_pipeline
  training                   = var.training
  inference                  = var.inference
  api_consumers              = var.api_consumers
  schedules                  = var.schedules
  alarm_email_addresses      = var.alarm_email_addresses
  manage_api_gateway_account = var.manage_api_gateway_account
  delivery                   = var.delivery
}
