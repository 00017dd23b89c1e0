# CodeDeploy is the one controller of the live alias (`release` and the pipeline start its
# deployments): the pre-traffic hook (hooks.tf), then canary_percentage % for
# canary_interval_minutes, then 100 %; it rolls back on failure or when a per-version canary alarm
# (canary_alarms.tf) or an extra rollback alarm fires. The default (10 % / 5 min) is the AWS
# predefined configuration; other values get a custom configuration.
locals {
  use_predefined_config  = var.canary_percentage == 10 && var.canary_interval_minutes == 5
  deployment_config_name = local.use_predefined_config ? "CodeDeployDefault.LambdaCanary10Percent5Minutes" : aws_codedeploy_deployment_config.this[0].id
}

resource "aws_codedeploy_app" "this" {
  name             = local.function_name
  compute_platform = "Lambda"

  tags = var.tags
}

resource "aws_codedeploy_deployment_config" "this" {
  count = local.use_predefined_config ? 0 : 1

  deployment_config_name = "${local.function_name}-canary-${var.canary_percentage}pct-${var.canary_interval_minutes}min"
  compute_platform       = "Lambda"

  traffic_routing_config {
    type = "TimeBasedCanary"

    time_based_canary {
      percentage = var.canary_percentage
      interval   = var.canary_interval_minutes
    }
  }
}

resource "aws_codedeploy_deployment_group" "this" {
  app_name               = aws_codedeploy_app.this.name
  deployment_group_name  = "${local.function_name}-live"
  service_role_arn       = aws_iam_role.codedeploy.arn
  deployment_config_name = local.deployment_config_name

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  alarm_configuration {
    enabled = true
    alarms  = concat(local.canary_alarm_names, var.rollback_alarm_names)
  }

  tags = var.tags
}

data "aws_iam_policy_document" "codedeploy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name               = "${local.function_name}-codedeploy"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "codedeploy" {
  statement {
    sid     = "ShiftLiveAlias"
    actions = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetFunction", "lambda:GetProvisionedConcurrencyConfig"]
    resources = [
      aws_lambda_function.this.arn,
      "${aws_lambda_function.this.arn}:*",
    ]
  }

  dynamic "statement" {
    for_each = local.hook_enabled ? [1] : []
    content {
      sid       = "InvokePreTrafficHook"
      actions   = ["lambda:InvokeFunction"]
      resources = [aws_lambda_function.pre_traffic_hook[0].arn, "${aws_lambda_function.pre_traffic_hook[0].arn}:*"]
    }
  }

  statement {
    sid       = "ReadRollbackAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarm:${var.name_prefix}-*"]
  }
}

resource "aws_iam_role_policy" "codedeploy" {
  name   = "shift-live-alias"
  role   = aws_iam_role.codedeploy.id
  policy = data.aws_iam_policy_document.codedeploy.json
}
