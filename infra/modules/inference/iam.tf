data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = local.function_name
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_111:The only unconstrained write actions are the VPC network-interface calls Lambda makes for the function; AWS requires Resource "*" for them (the ENIs do not exist yet) and Lambda validates them on "*".
  #checkov:skip=CKV_AWS_356:See CKV_AWS_111: ENI management and X-Ray have no resource-level permissions; every data permission is scoped to an ARN.
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  statement {
    sid       = "ConnectToStoreAsInference"
    actions   = ["rds-db:connect"]
    resources = [var.store_db_user_arn]
  }

  statement {
    sid       = "ReadCustomerRefKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.customer_ref_key_secret_arn]
  }

  statement {
    sid       = "DecryptEnvironmentAndKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
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

resource "aws_iam_role_policy" "this" {
  name   = "inference"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
