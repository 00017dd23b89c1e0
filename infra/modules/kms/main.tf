# One customer-managed key per market/environment encrypts the data lake, logs, images, the
# feature store, queues and topics. One key keeps the key policy (who may use it) in one place.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
}

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix} platform data key"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  # In a key policy, Resource "*" means "this key"; it cannot name anything else.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsThisAccountsLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
          }
        }
      },
      {
        Sid    = "AwsServicesPublishToEncryptedTopicsAndQueues"
        Effect = "Allow"
        Principal = {
          Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "codestar-notifications.amazonaws.com"]
        }
        Action   = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })

  tags = merge(var.tags, { Name = "${var.name_prefix}-platform" })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}-platform"
  target_key_id = aws_kms_key.this.key_id
}
