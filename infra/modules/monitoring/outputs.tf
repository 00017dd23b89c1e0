output "topic_arn" {
  description = "SNS topic receiving every alarm and failure notification."
  value       = aws_sns_topic.this.arn
}

output "deployment_alarm_names" {
  description = "Alarms that gate canary deployments (CodeDeploy rollback and `release canary --watch`)."
  value = [
    aws_cloudwatch_metric_alarm.api_5xx_rate.alarm_name,
    aws_cloudwatch_metric_alarm.api_p99_latency.alarm_name,
    aws_cloudwatch_metric_alarm.lambda_errors.alarm_name,
  ]
}

output "model_alarm_names" {
  description = "Alarms on the monitoring job's drift, skew, stability and staleness metrics."
  value = [
    aws_cloudwatch_metric_alarm.drift_psi.alarm_name,
    aws_cloudwatch_metric_alarm.training_serving_skew.alarm_name,
    aws_cloudwatch_metric_alarm.non_finite.alarm_name,
    aws_cloudwatch_metric_alarm.model_staleness.alarm_name,
    aws_cloudwatch_metric_alarm.feature_store_staleness.alarm_name,
  ]
}

output "alarm_arns" {
  description = "ARNs of every alarm of the market."
  value       = local.all_alarm_arns
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the market."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
