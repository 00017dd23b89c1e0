# mx/prod. Defaults documented in infra/modules/platform/variables.tf.
market             = "mx"
environment        = "prod"
aws_region         = "mx-central-1"
availability_zones = ["mx-central-1a", "mx-central-1b", "mx-central-1c"]
vpc_cidr           = "10.41.0.0/16"

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

# Who may call the API (SigV4-signed, as one of principal_arns) and its usage plan.
api_consumers = {
  loan-origination = {
    principal_arns = ["arn:aws:iam::222222222222:role/loan-origination"]
    rate_limit     = 100
    burst_limit    = 200
    monthly_quota  = 10000000
  }
}

# Quality windows and thresholds of the Mexican loans file (QualitySettings fields).
feature_pipeline = {
  worker_count = 4
  quality_settings = {
    max_quarantine_share = "0.05"
    positive_rate_min    = "0.002"
    positive_rate_max    = "0.10"
  }
}

# Gate thresholds and search budget (environment variables named in model-training/README.md).
training = {
  environment = {}
}

prediction_log_retention = {
  cloudwatch_days = 30
  s3_days         = 180
}

alarm_email_addresses = ["ml-platform-oncall@example.com"]

delivery = {
  source_connection_arn     = "arn:aws:codeconnections:mx-central-1:222222222222:connection/00000000-0000-0000-0000-000000000002"
  repository_id             = "credit-risk/platform"
  terraform_state_bucket    = "credit-risk-tfstate-mx-prod"
  terraform_deploy_role_arn = "arn:aws:iam::222222222222:role/credit-risk-terraform-deploy"
  require_manual_approval   = true
}
