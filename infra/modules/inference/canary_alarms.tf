# Per-version alarms: what CodeDeploy watches during a canary. They measure the NEW version only,
# so a 10 % canary failing every request is a 100 % failure here, not 10 % of the alias.
#   Lambda's own metrics through the alias carry ExecutedVersion; the service's EMF metrics carry
#   function_version (DESIGN C7).
# `release canary` points the version dimension at the target version (and resets the state)
# right before it creates the deployment; Terraform creates them on the version it published and
# leaves the dimensions alone afterwards.
locals {
  alias_resource = "${local.function_name}:${local.alias_name}"
  canary_alarm_names = [
    aws_cloudwatch_metric_alarm.canary_lambda_errors.alarm_name,
    aws_cloudwatch_metric_alarm.canary_prediction_errors.alarm_name,
    aws_cloudwatch_metric_alarm.canary_latency_p99.alarm_name,
  ]
}

resource "aws_cloudwatch_metric_alarm" "canary_lambda_errors" {
  alarm_name          = "${var.name_prefix}-canary-lambda-errors"
  alarm_description   = "Unhandled errors or timeouts of the version being released (stops the CodeDeploy canary)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.canary_error_threshold
  treat_missing_data  = "notBreaching"
  dimensions = {
    FunctionName    = local.function_name
    Resource        = local.alias_resource
    ExecutedVersion = aws_lambda_function.this.version
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [dimensions] # release canary points ExecutedVersion at each release
  }
}

resource "aws_cloudwatch_metric_alarm" "canary_prediction_errors" {
  alarm_name          = "${var.name_prefix}-canary-prediction-errors"
  alarm_description   = "Prediction errors (e.g. feature store unavailable) of the version being released (stops the CodeDeploy canary)."
  namespace           = var.metrics_namespace
  metric_name         = "PredictionErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.canary_error_threshold
  treat_missing_data  = "notBreaching"
  dimensions = {
    service          = var.metrics_service
    function_version = aws_lambda_function.this.version
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [dimensions] # release canary points function_version at each release
  }
}

resource "aws_cloudwatch_metric_alarm" "canary_latency_p99" {
  alarm_name          = "${var.name_prefix}-canary-latency-p99"
  alarm_description   = "p99 prediction latency of the version being released above ${var.canary_latency_p99_ms} ms, 2 of 3 minutes (stops the CodeDeploy canary)."
  namespace           = var.metrics_namespace
  metric_name         = "PredictionLatency"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.canary_latency_p99_ms
  treat_missing_data  = "notBreaching"
  dimensions = {
    service          = var.metrics_service
    function_version = aws_lambda_function.this.version
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [dimensions] # release canary points function_version at each release
  }
}
