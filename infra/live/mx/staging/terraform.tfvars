# mx/staging. Defaults documented in infra/modules/platform/variables.tf.
market             = "mx"
environment        = "staging"
aws_region         = "mx-central-1"
availability_zones = ["mx-central-1a", "mx-central-1b"]
vpc_cidr           = "10.40.0.0/16"

feature_store = {
  instance_class        = "db.t4g.medium"
  allocated_storage_gb  = 20
  multi_az              = false
  backup_retention_days = 7
  deletion_protection   = false
}

inference = {
  memory_mb               = 1024
  reserved_concurrency    = 20
  provisioned_concurrency = 0
  throttle_rate_limit     = 50
  throttle_burst_limit    = 100
  canary_percentage       = 10
  canary_interval_minutes = 5
}

# Who may call the API (SigV4-signed, as one of principal_arns) and its usage plan.
api_consumers = {
  loan-origination = {
    principal_arns = ["arn:aws:iam::111111111111:role/loan-origination-staging"]
    rate_limit     = 20
    burst_limit    = 40
    monthly_quota  = 1000000
  }
}

# Quality windows and thresholds of the Mexican loans file (QualitySettings fields).
feature_pipeline = {
  worker_count = 2
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

# Staging keeps its prediction log shorter than the platform's defaults (30 / 180 days).
prediction_log_retention = {
  cloudwatch_days = 14
  s3_days         = 90
}

alarm_email_addresses = ["ml-platform-staging@example.com"]

delivery = {
  source_connection_arn     = "arn:aws:codeconnections:mx-central-1:111111111111:connection/00000000-0000-0000-0000-000000000001"
  repository_id             = "credit-risk/platform"
  terraform_state_bucket    = "credit-risk-tfstate-mx-staging"
  terraform_deploy_role_arn = "arn:aws:iam::111111111111:role/credit-risk-terraform-deploy"
  require_manual_approval   = false
}
