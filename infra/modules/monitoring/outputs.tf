output "topic_arn" {
  description = "SNS topic receiving every alarm and failure notification."
  value       = aws_sns_topic.this.arn
}

output "deployment_alarm_names" {
  description = "Whole-alias service alarms (API 5xx rate, API p99 latency, Lambda errors on the live alias). They notify the topic; canary rollback watches the inference module's per-version alarms instead."
  value = [
    aws_cloudwatch_metric_alarm.api_5xx_rate.alarm_name,
    aws_cloudwatch_metric_alarm.api_p99_latency.alarm_name,
    aws_cloudwatch_metric_alarm.lambda_errors.alarm_name,
  ]
}

output "model_alarm_names" {
  description = "Alarms on the monitoring job's drift, invariant, skew, stability, staleness and online-quality metrics, on serving invariant violations and on the job's failures."
  value = concat(
    [for alarm in aws_cloudwatch_metric_alarm.model : alarm.alarm_name],
    [
      aws_cloudwatch_metric_alarm.serving_corrupt_rows.alarm_name,
      aws_cloudwatch_metric_alarm.runner_errors.alarm_name,
    ],
  )
}

output "alarm_arns" {
  description = "ARNs of every alarm of the market."
  value       = local.all_alarm_arns
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the market."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "runner_function_name" {
  description = "Lambda function running the daily monitoring job."
  value       = aws_lambda_function.runner.function_name
}

output "runner_function_arn" {
  description = "ARN of the monitoring job's function."
  value       = aws_lambda_function.runner.arn
}

output "runner_role_arn" {
  description = "Execution role of the monitoring job's function."
  value       = aws_iam_role.runner.arn
}

output "runner_role_name" {
  description = "Name of that role."
  value       = aws_iam_role.runner.name
}

output "runner_security_group_id" {
  description = "Security group of the monitoring job's function (a feature store client)."
  value       = aws_security_group.runner.id
}

output "image_scan_rule_name" {
  description = "EventBridge rule sending CRITICAL/HIGH image scan findings to the topic."
  value       = aws_cloudwatch_event_rule.image_scan_findings.name
}

output "outcomes_rule_name" {
  description = "EventBridge rule starting the outcomes run when a repayment file lands under repayments_prefix."
  value       = aws_cloudwatch_event_rule.outcomes.name
}

output "runner_schedule_rule_name" {
  description = "EventBridge rule starting the monitoring job."
  value       = aws_cloudwatch_event_rule.runner.name
}

output "prediction_log_stream_name" {
  description = "Firehose stream delivering the prediction log to the features bucket."
  value       = aws_kinesis_firehose_delivery_stream.this.name
}

output "prediction_log_filter_name" {
  description = "Subscription filter on the inference log group feeding the stream."
  value       = aws_cloudwatch_log_subscription_filter.prediction_log.name
}

output "prediction_log_s3_prefix" {
  description = "Where the prediction log lands: s3://<features bucket>/predictions/<yyyy-MM-dd>/ (GZIP JSON lines)."
  value       = "s3://${var.features_bucket_name}/${local.prediction_prefix}"
}
