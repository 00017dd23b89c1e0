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

# Model-health alarms on the monitoring job's EMF metrics ---------------------------------------

resource "aws_cloudwatch_metric_alarm" "drift_psi" {
  alarm_name          = "${var.name_prefix}-drift-psi"
  alarm_description   = "Largest feature PSI of served inputs vs training reference above ${var.psi_alert_threshold}: the model sees a population it was not trained on."
  namespace           = var.monitoring_namespace
  metric_name         = "DriftPSIMax"
  statistic           = "Maximum"
  period              = var.monitoring_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.psi_alert_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  dimensions          = local.monitoring_dimensions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "training_serving_skew" {
  alarm_name          = "${var.name_prefix}-training-serving-skew"
  alarm_description   = "Share of served rows whose features differ when recomputed by the pipeline above ${var.skew_mismatch_rate_threshold}: a serving bug."
  namespace           = var.monitoring_namespace
  metric_name         = "SkewMismatchRate"
  statistic           = "Maximum"
  period              = var.monitoring_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.skew_mismatch_rate_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  dimensions          = local.monitoring_dimensions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "non_finite" {
  alarm_name          = "${var.name_prefix}-non-finite-values"
  alarm_description   = "NaN or infinite features or probabilities were served."
  namespace           = var.monitoring_namespace
  metric_name         = "NonFiniteCount"
  statistic           = "Maximum"
  period              = var.monitoring_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  dimensions          = local.monitoring_dimensions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "model_staleness" {
  alarm_name          = "${var.name_prefix}-model-staleness"
  alarm_description   = "Served model older than ${var.max_model_age_days} days: retraining is overdue."
  namespace           = var.monitoring_namespace
  metric_name         = "ModelAgeDays"
  statistic           = "Maximum"
  period              = var.monitoring_period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_model_age_days
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  dimensions          = local.monitoring_dimensions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "feature_store_staleness" {
  alarm_name          = "${var.name_prefix}-feature-store-staleness"
  alarm_description   = "Online feature store not refreshed for ${var.max_feature_store_age_days} days, or the monitoring job stopped reporting (missing data counts as breaching)."
  namespace           = var.monitoring_namespace
  metric_name         = "FeatureStoreAgeDays"
  statistic           = "Maximum"
  period              = var.monitoring_period_seconds
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_feature_store_age_days
  # A silent monitoring job is itself a staleness problem.
  treat_missing_data = "breaching"
  alarm_actions      = [aws_sns_topic.this.arn]
  dimensions         = local.monitoring_dimensions

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
