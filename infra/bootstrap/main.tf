# One-off set-up of an AWS account for one market/environment, as code: the Terraform state bucket
# (versioned, SSE-KMS, TLS only, access-logged), the deploy role the CI infra builds assume, and
# the connection to the Git host. Locking needs no table: the market roots use S3 native locking
# (backend "s3" with use_lockfile = true, Terraform >= 1.10; DynamoDB locking is deprecated).
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  name_prefix = "${var.project}-${var.market}-${var.environment}"
  # Must match backend.tf of infra/live/<market>/<environment> (templates/market-root).
  state_bucket = "${var.project}-tfstate-${var.market}-${var.environment}"
  tags = {
    Project     = var.project
    Market      = var.market
    Environment = var.environment
    ManagedBy   = "terraform"
    Purpose     = "bootstrap"
  }
}

resource "aws_kms_key" "state" {
  description             = "${local.state_bucket}: Terraform state encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  # In a key policy, Resource "*" means "this key". The account delegates to IAM: the deploy role
  # (below) and the administrators' own policies decide who may use it.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministersKeyThroughIam"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })

  tags = local.tags
}

resource "aws_kms_alias" "state" {
  name          = "alias/${local.state_bucket}"
  target_key_id = aws_kms_key.state.key_id
}

module "access_logs" {
  source = "../modules/access_log_bucket"

  bucket_name   = "${local.state_bucket}-logs-${local.account_id}"
  tags          = local.tags
  force_destroy = var.force_destroy
}

# Versioned (every state is recoverable), SSE-KMS, public access blocked, TLS only, logged.
module "state_bucket" {
  source = "../modules/s3_bucket"

  bucket_name                        = local.state_bucket
  purpose                            = "tfstate"
  tags                               = local.tags
  kms_key_arn                        = aws_kms_key.state.arn
  access_log_bucket                  = module.access_logs.bucket_name
  transition_to_ia_days              = 90
  noncurrent_version_expiration_days = 365
  force_destroy                      = var.force_destroy
}
