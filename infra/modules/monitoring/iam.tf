# Three roles, each limited to its hop: CloudWatch Logs -> Firehose -> S3, and the job's Lambda.

# CloudWatch Logs puts the inference log group's prediction events into the stream -------------
data "aws_iam_policy_document" "logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${var.prediction_log_group_name}:*"]
    }
  }
}

resource "aws_iam_role" "logs_to_firehose" {
  name               = "${local.prediction_log_name}-logs"
  assume_role_policy = data.aws_iam_policy_document.logs_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "logs_to_firehose" {
  statement {
    sid       = "PutPredictionEvents"
    actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
    resources = [aws_kinesis_firehose_delivery_stream.this.arn]
  }
}

resource "aws_iam_role_policy" "logs_to_firehose" {
  name   = "put-prediction-events"
  role   = aws_iam_role.logs_to_firehose.id
  policy = data.aws_iam_policy_document.logs_to_firehose.json
}

# Firehose writes the objects under predictions*/ of the features bucket ----------------------
data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "firehose" {
  name               = "${local.prediction_log_name}-firehose"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "firehose" {
  statement {
    sid       = "WritePredictionObjects"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${local.features_bucket_arn}/predictions*"]
  }

  statement {
    sid       = "LocateBucket"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [local.features_bucket_arn]
  }

  statement {
    sid       = "EncryptObjectsAndStream"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "firehose.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "WriteDeliveryErrors"
    actions   = ["logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.prediction_log.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "firehose" {
  name   = "deliver-prediction-log"
  role   = aws_iam_role.firehose.id
  policy = data.aws_iam_policy_document.firehose.json
}

# The monitoring job's Lambda -----------------------------------------------------------------
data "aws_iam_policy_document" "runner_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "runner" {
  name               = local.runner_name
  assume_role_policy = data.aws_iam_policy_document.runner_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "runner" {
  #checkov:skip=CKV_AWS_111:The only unconstrained write actions are the VPC network-interface calls Lambda makes for the function; AWS requires Resource "*" for them (the ENIs do not exist yet).
  #checkov:skip=CKV_AWS_356:See CKV_AWS_111: ENI management and X-Ray have no resource-level permissions; every data permission is scoped to an ARN.
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.runner.arn}:*"]
  }

  statement {
    sid       = "ReadPredictionLog"
    actions   = ["s3:GetObject"]
    resources = ["${local.features_bucket_arn}/${local.prediction_prefix}*"]
  }

  statement {
    sid       = "ListPredictionLog"
    actions   = ["s3:ListBucket"]
    resources = [local.features_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.prediction_prefix}*"]
    }
  }

  # The champion pointer and the bundle metadata it names (docs/contracts/serving-bundle.md).
  statement {
    sid     = "ReadChampionBundleMetadata"
    actions = ["s3:GetObject"]
    resources = [
      "${local.artifacts_bucket_arn}/${local.champion_pointer_key}",
      "${local.artifacts_bucket_arn}/bundles/${var.model_name}/v*/metadata.json",
    ]
  }

  # Skew: a run's online rows and its _SUCCESS manifest under the lake (C1 layout).
  statement {
    sid     = "ReadLakeOnlineRows"
    actions = ["s3:GetObject"]
    resources = [
      "${local.features_bucket_arn}/${var.lake_prefix}run=*/_SUCCESS",
      "${local.features_bucket_arn}/${var.lake_prefix}run=*/online/parquet/*",
    ]
  }

  statement {
    sid       = "ListLakeRuns"
    actions   = ["s3:ListBucket"]
    resources = [local.features_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.lake_prefix}run=*"]
    }
  }

  statement {
    sid       = "ReadRepayments"
    actions   = ["s3:GetObject"]
    resources = ["${local.artifacts_bucket_arn}/${var.repayments_prefix}*"]
  }

  statement {
    sid     = "WriteReports"
    actions = ["s3:PutObject"]
    resources = [
      "${local.artifacts_bucket_arn}/monitoring/reports/*",
      "${local.artifacts_bucket_arn}/monitoring/outcomes/*",
    ]
  }

  statement {
    sid       = "ConnectToStoreAsMonitoring"
    actions   = ["rds-db:connect"]
    resources = [var.store_db_user_arn]
  }

  statement {
    sid       = "ReadCustomerRefKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.customer_ref_key_secret_arn]
  }

  # Objects, the key's secret and the environment are encrypted with the platform key; so is the
  # failure topic.
  statement {
    sid       = "UsePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "ReportFailedRuns"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
  }

  # Network-interface management for a VPC Lambda (the actions of AWSLambdaVPCAccessExecutionRole).
  statement {
    sid = "ManageVpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "runner" {
  name   = "monitoring-job"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner.json
}
