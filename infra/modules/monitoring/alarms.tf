# Service alarms (these also gate canary deployments) ------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  alarm_name          = "${var.name_prefix}-api-5xx-rate"
  alarm_description   = "More than ${var.api_5xx_rate_threshold_percent}% of API requests returned 5xx (2 of 3 minutes). Runbook: release status; roll back if a canary is live."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_5xx_rate_threshold_percent
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5XXError"
      period      = 60
      stat        = "Sum"
      dimensions = {
        ApiName = var.api_name
        Stage   = var.stage_name
      }
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      period      = 60
      stat        = "Sum"
      dimensions = {
        ApiName = var.api_name
        Stage   = var.stage_name
      }
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "api_p99_latency" {
  alarm_name          = "${var.name_prefix}-api-p99-latency"
  alarm_description   = "API p99 latency above ${var.api_p99_latency_threshold_ms} ms (3 of 5 minutes)."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.api_p99_latency_threshold_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
  dimensions = {
    ApiName = var.api_name
    Stage   = var.stage_name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${var.name_prefix}-inference-errors"
  alarm_description   = "Inference function errors on the live alias (unhandled exceptions, timeouts)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_error_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
  dimensions = {
    FunctionName = var.function_name
    Resource     = local.alias_resource
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${var.name_prefix}-inference-throttles"
  alarm_description   = "Inference function throttled on the live alias (reserved concurrency exhausted)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_throttle_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
  dimensions = {
    FunctionName = var.function_name
    Resource     = local.alias_resource
  }

  tags = var.tags
}

# Serving invariants: stored rows the service could not read as the contract says (inference
# metric CorruptFeatureRows, per function version). A Metrics Insights query sums it over every
# version, so the alarm keeps watching whatever version serves after each release.
resource "aws_cloudwatch_metric_alarm" "serving_corrupt_rows" {
  alarm_name          = "${var.name_prefix}-serving-corrupt-feature-rows"
  alarm_description   = "The inference service read feature-store rows that break the online-store contract (docs/contracts/online-store.md): a publishing bug or a schema change. Runbook: docs/operations.md."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  metric_query {
    id          = "corrupt"
    expression  = "SELECT SUM(CorruptFeatureRows) FROM SCHEMA(\"${var.inference_metrics_namespace}\", function_version, service) WHERE service = '${var.inference_metrics_service}'"
    label       = "CorruptFeatureRows (all versions)"
    period      = 300
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "runner_errors" {
  alarm_name          = "${var.name_prefix}-monitoring-job-errors"
  alarm_description   = "The daily monitoring job failed (unreadable input, no prediction log objects for the day, store unreachable, timeout). Its model-health metrics are missing for that day."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  dimensions = {
    FunctionName = aws_lambda_function.runner.function_name
  }

  tags = var.tags
}
