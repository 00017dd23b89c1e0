# The host: only what the SSM agent needs (AWS managed policy), nothing else.
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "host" {
  name               = local.name
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  # With the host only: the emulator knows no AWS managed policies.
  count = var.create_host ? 1 : 0

  role       = aws_iam_role.host.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  name = local.name
  role = aws_iam_role.host.name

  tags = var.tags
}

# The operators: attach this policy to the people (or their SSO permission set) who may look at
# the registry and the market's status. Port forwarding through the host only, to their own
# sessions; the registry as `mlflow`, the store as `monitoring` (read-only); what serves.
data "aws_iam_policy_document" "operator" {
  # A session needs both: the port-forwarding document (never the default shell document) ...
  statement {
    sid       = "PortForwardingDocumentOnly"
    actions   = ["ssm:StartSession"]
    resources = [local.port_forwarding_document]
    condition {
      test     = "BoolIfExists"
      variable = "ssm:SessionDocumentAccessCheck"
      values   = ["true"]
    }
  }

  # ... and this host as the target (by its Name tag: the instance id is known only after apply).
  statement {
    sid       = "OnlyTheAccessHost"
    actions   = ["ssm:StartSession"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*"]
    condition {
      test     = "StringEquals"
      variable = "ssm:resourceTag/Name"
      values   = [local.name]
    }
    condition {
      test     = "BoolIfExists"
      variable = "ssm:SessionDocumentAccessCheck"
      values   = ["true"]
    }
  }

  statement {
    sid       = "OwnSessionsOnly"
    actions   = ["ssm:TerminateSession", "ssm:ResumeSession"]
    resources = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:session/$${aws:userid}-*"]
  }

  statement {
    sid       = "ConnectAsRegistryAndStoreReader"
    actions   = ["rds-db:connect"]
    resources = [var.mlflow_db_user_arn, var.monitoring_db_user_arn]
  }

  statement {
    sid       = "ReadWhatServes"
    actions   = ["lambda:GetAlias", "lambda:GetFunctionConfiguration"]
    resources = [var.function_arn, "${var.function_arn}:*"]
  }

  statement {
    sid     = "ReadPointersAndReports"
    actions = ["s3:GetObject"]
    resources = [
      "${var.artifacts_bucket_arn}/bundles/*/champion.json",
      "${var.artifacts_bucket_arn}/${var.monitoring_reports_prefix}*",
    ]
  }

  statement {
    sid       = "ListReports"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.monitoring_reports_prefix}*"]
    }
  }

  statement {
    sid       = "DecryptTheLake"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_policy" "operator" {
  name        = "${local.name}-operator"
  description = "Operators: SSM port forwarding to the RDS Proxy through the registry access host; the registry and the store over IAM auth; platform-status reads"
  policy      = data.aws_iam_policy_document.operator.json

  tags = var.tags
}
