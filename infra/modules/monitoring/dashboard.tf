locals {
  region = data.aws_region.current.name

  api_dims    = ["ApiName", var.api_name, "Stage", var.stage_name]
  lambda_dims = ["FunctionName", var.function_name, "Resource", local.alias_resource]
  mon_dims    = ["service", var.monitoring_service, "ModelName", var.model_name]

  widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title = "API requests and errors", region = local.region, stat = "Sum", period = 60
        metrics = [
          concat(["AWS/ApiGateway", "Count"], local.api_dims),
          concat(["AWS/ApiGateway", "4XXError"], local.api_dims),
          concat(["AWS/ApiGateway", "5XXError"], local.api_dims),
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title = "API latency (ms)", region = local.region, period = 60
        metrics = [
          concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p50" }]),
          concat(["AWS/ApiGateway", "Latency"], local.api_dims, [{ stat = "p99" }]),
        ]
        annotations = { horizontal = [{ label = "p99 alarm", value = var.api_p99_latency_threshold_ms }] }
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title = "Lambda (live alias)", region = local.region, stat = "Sum", period = 60
        metrics = [
          concat(["AWS/Lambda", "Invocations"], local.lambda_dims),
          concat(["AWS/Lambda", "Errors"], local.lambda_dims),
          concat(["AWS/Lambda", "Throttles"], local.lambda_dims),
          concat(["AWS/Lambda", "ProvisionedConcurrencySpilloverInvocations"], local.lambda_dims),
        ]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title = "Drift and skew", region = local.region, stat = "Maximum", period = var.monitoring_period_seconds
        metrics = [
          concat([var.monitoring_namespace, "DriftedFeatureCount"], local.mon_dims),
          concat([var.monitoring_namespace, "DriftPSIMax"], local.mon_dims),
          concat([var.monitoring_namespace, "SkewMismatchRate"], local.mon_dims),
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title = "Staleness (days)", region = local.region, stat = "Maximum", period = var.monitoring_period_seconds
        metrics = [
          concat([var.monitoring_namespace, "ModelAgeDays"], local.mon_dims),
          concat([var.monitoring_namespace, "FeatureStoreAgeDays"], local.mon_dims),
        ]
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title = "Online quality (delayed labels)", region = local.region, stat = "Average", period = var.monitoring_period_seconds
        metrics = [
          concat([var.monitoring_namespace, "OnlineRocAuc"], local.mon_dims),
          concat([var.monitoring_namespace, "OnlineECE"], local.mon_dims),
          concat([var.monitoring_namespace, "OnlinePositiveRate"], local.mon_dims),
        ]
      }
    },
    {
      type = "alarm", x = 0, y = 18, width = 24, height = 4
      properties = {
        title  = "Alarms"
        alarms = [for a in local.all_alarm_arns : a]
      }
    },
  ]

  service_alarm_arns = [
    aws_cloudwatch_metric_alarm.api_5xx_rate.arn,
    aws_cloudwatch_metric_alarm.api_p99_latency.arn,
    aws_cloudwatch_metric_alarm.lambda_errors.arn,
    aws_cloudwatch_metric_alarm.lambda_throttles.arn,
    aws_cloudwatch_metric_alarm.serving_corrupt_rows.arn,
    aws_cloudwatch_metric_alarm.runner_errors.arn,
  ]
  all_alarm_arns = concat(
    local.service_alarm_arns,
    [for alarm in aws_cloudwatch_metric_alarm.model : alarm.arn],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({ widgets = local.widgets })
}
