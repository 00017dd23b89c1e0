data "aws_iam_policy_document" "proxy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "proxy" {
  name               = "${local.identifier}-proxy"
  assume_role_policy = data.aws_iam_policy_document.proxy_assume.json

  tags = var.tags
}

# The proxy logs in to PostgreSQL with the service roles' passwords; it never sees the master's.
data "aws_iam_policy_document" "proxy" {
  statement {
    sid       = "ReadServiceRoleSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [for s in aws_secretsmanager_secret.service : s.arn]
  }

  statement {
    sid       = "DecryptServiceRoleSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "proxy" {
  name   = "read-service-role-secrets"
  role   = aws_iam_role.proxy.id
  policy = data.aws_iam_policy_document.proxy.json
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${local.identifier}-enhanced-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json

  tags = var.tags
}

# Same permissions as the AWS-managed AmazonRDSEnhancedMonitoringRole, written out so the role
# cannot silently gain more when AWS changes the managed policy.
data "aws_iam_policy_document" "monitoring" {
  statement {
    sid       = "CreateRdsMetricLogGroups"
    actions   = ["logs:CreateLogGroup", "logs:PutRetentionPolicy"]
    resources = ["arn:${local.partition}:logs:*:${local.account_id}:log-group:RDS*"]
  }

  statement {
    sid       = "WriteRdsOsMetrics"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents"]
    resources = ["arn:${local.partition}:logs:*:${local.account_id}:log-group:RDS*:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "monitoring" {
  name   = "enhanced-monitoring"
  role   = aws_iam_role.monitoring.id
  policy = data.aws_iam_policy_document.monitoring.json
}
