data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = local.job_name
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

locals {
  arn_prefix = "arn:${data.aws_partition.current.partition}"
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_356:Only cloudwatch:PutMetricData (condition-limited to the Glue namespace) and read-only EC2 Describe calls use "*": neither API supports resource-level permissions.
  statement {
    sid       = "ReadScriptAndModules"
    actions   = ["s3:GetObject"]
    resources = ["${local.arn_prefix}:s3:::${var.artifacts_bucket_name}/glue/*"]
  }

  statement {
    sid       = "UseTempDir"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.arn_prefix}:s3:::${var.artifacts_bucket_name}/glue/tmp/*"]
  }

  statement {
    sid       = "ReadRawLoans"
    actions   = ["s3:GetObject"]
    resources = ["${local.arn_prefix}:s3:::${var.raw_bucket_name}/${var.raw_object_key}"]
  }

  # Everything a run writes, reads back and retires lives under the features prefix
  # (run=<id>/..., _LATEST, deletes of old runs): nothing outside it, no sibling staging prefix.
  statement {
    sid       = "WriteFeatures"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${local.arn_prefix}:s3:::${var.features_bucket_name}/${var.features_prefix}*"]
  }

  statement {
    sid     = "ListOwnPrefixes"
    actions = ["s3:ListBucket"]
    resources = [
      "${local.arn_prefix}:s3:::${var.raw_bucket_name}",
      "${local.arn_prefix}:s3:::${var.features_bucket_name}",
      "${local.arn_prefix}:s3:::${var.artifacts_bucket_name}",
    ]
  }

  statement {
    sid       = "UsePlatformKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "ConnectToStoreAsFeaturePipeline"
    actions   = ["rds-db:connect"]
    resources = [var.store_db_user_arn]
  }

  statement {
    sid     = "WriteJobLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = [
      "${aws_cloudwatch_log_group.this.arn}:*",
      "${local.arn_prefix}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws-glue/*",
    ]
  }

  statement {
    sid       = "PublishJobMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }

  # Describe calls cannot be scoped to resources; they are read-only.
  statement {
    sid = "DescribeNetworkForVpcConnection"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcAttribute",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeRouteTables",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "ManageWorkerInterfacesInOwnSubnet"
    actions = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:CreateTags"]
    resources = [
      "${local.arn_prefix}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:network-interface/*",
      "${local.arn_prefix}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:subnet/${var.subnet_id}",
      aws_security_group.this.arn,
    ]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "feature-pipeline"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
