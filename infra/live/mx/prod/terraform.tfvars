market             = "mx"
environment        = "prod"
aws_region         = "mx-central-1"
availability_zones = ["mx-central-1a", "mx-central-1b", "mx-central-1c"]
vpc_cidr           = "10.41.0.0/16"

inference_image_tag  = "bootstrap"
training_image_tag   = "bootstrap"
monitoring_image_tag = "bootstrap"

feature_store = {
  instance_class        = "db.r7g.large"
  allocated_storage_gb  = 50
  multi_az              = true
  backup_retention_days = 30
  deletion_protection   = true
}

inference = {
  memory_mb               = 2048
  reserved_concurrency    = 200
  provisioned_concurrency = 5
  throttle_rate_limit     = 200
  throttle_burst_limit    = 400
  canary_percentage       = 10
  canary_interval_minutes = 5
}

glue_worker_count     = 4
alarm_email_addresses = ["ml-platform-oncall@example.com"]

source_connection_arn     = "arn:aws:codeconnections:mx-central-1:222222222222:connection/00000000-0000-0000-0000-000000000002"
repository_id             = "credit-risk/platform"
terraform_state_bucket    = "credit-risk-tfstate-mx-prod"
terraform_deploy_role_arn = "arn:aws:iam::222222222222:role/credit-risk-terraform-deploy"
require_manual_approval   = true
