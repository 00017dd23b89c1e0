# Daily run after the 03:00 UTC Glue refresh, so the feature-store age reflects that day's run.
# The event carries the day's inputs (keys of risk_monitoring.lambda_handler, risk-monitoring
# README); the store connection is in the function's environment. The champion is read through
# its pointer, which model-training moves only after a release succeeded (promote/rollback), so
# drift is measured against the model that serves. `lake` makes every run check skew: served
# rows against the online rows their store run published.
locals {
  champion_pointer_key = "bundles/${var.model_name}/champion.json"
  runner_common = {
    logs          = "s3://${var.features_bucket_name}/${local.prediction_prefix}"
    metadata      = "s3://${var.artifacts_bucket_name}/${local.champion_pointer_key}"
    report_prefix = "s3://${var.artifacts_bucket_name}/monitoring/reports/"
  }
  runner_input = merge(local.runner_common, {
    logs_window = "previous_day"
    lake        = "s3://${var.features_bucket_name}/${var.lake_prefix}"
  })
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
  input     = jsonencode(local.runner_input)
}

resource "aws_lambda_permission" "runner" {
  statement_id  = "AllowMonitoringSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.runner.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.runner.arn
}

# Delayed labels: each repayment file the lender drops under repayments_prefix (the artifacts
# bucket sends its object events to EventBridge) starts the `outcomes` run, which joins it with
# the prediction log on customer_ref, writes labels.csv + outcomes.json under
# monitoring/outcomes/<time>/ and emits the online-quality metrics the online-quality and
# outcome-match alarms watch.
resource "aws_cloudwatch_event_rule" "outcomes" {
  name        = "${local.runner_name}-outcomes"
  description = "Starts the monitoring job's outcomes run when a repayment file lands"
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [var.artifacts_bucket_name] }
      object = { key = [{ prefix = var.repayments_prefix }] }
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "outcomes" {
  rule      = aws_cloudwatch_event_rule.outcomes.name
  target_id = "monitoring-outcomes"
  arn       = aws_lambda_function.runner.arn

  input_transformer {
    input_paths = {
      key = "$.detail.object.key"
    }
    # The bucket is fixed by the pattern; only the key comes from the event.
    input_template = replace(
      jsonencode(merge(local.runner_common, {
        command       = "outcomes"
        logs_window   = "application_days"
        repayments    = "s3://${var.artifacts_bucket_name}/KEY_PLACEHOLDER"
        report_prefix = "s3://${var.artifacts_bucket_name}/monitoring/outcomes/"
      })),
      "KEY_PLACEHOLDER", "<key>"
    )
  }
}

resource "aws_lambda_permission" "outcomes" {
  statement_id  = "AllowMonitoringOutcomes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.runner.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.outcomes.arn
}
