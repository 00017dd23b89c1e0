# Daily run after the 03:00 UTC Glue refresh, so the feature-store age reflects that day's run.
# The event carries the day's inputs; the store connection is in the function's environment.
locals {
  runner_input = merge(
    {
      logs          = "s3://${var.features_bucket_name}/${local.prediction_prefix}"
      logs_window   = "previous_day"
      metadata      = "s3://${var.artifacts_bucket_name}/models/champion/bundle/metadata.json"
      report_prefix = "s3://${var.artifacts_bucket_name}/monitoring/reports/"
    },
    var.outcomes_object_key == "" ? {} : { outcomes = "s3://${var.artifacts_bucket_name}/${var.outcomes_object_key}" },
  )
}

resource "aws_cloudwatch_event_rule" "runner" {
  name                = "${local.runner_name}-schedule"
  description         = "Starts the daily monitoring job"
  schedule_expression = var.runner_schedule

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "runner" {
  rule      = aws_cloudwatch_event_rule.runner.name
  target_id = "monitoring-job"
  arn       = aws_lambda_function.runner.arn
  # Contract with risk_monitoring.lambda_handler (risk-monitoring/README.md).
  input = jsonencode(local.runner_input)
}

resource "aws_lambda_permission" "runner" {
  statement_id  = "AllowMonitoringSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.runner.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.runner.arn
}
