output "name_prefix" {
  description = "Prefix of every resource name."
  value       = module.labels.name_prefix
}

output "bucket_names" {
  description = "Data lake buckets by purpose."
  value       = module.data_lake.bucket_names
}

output "logs_bucket_name" {
  description = "Access-log bucket."
  value       = module.data_lake.logs_bucket_name
}

output "kms_key_arn" {
  description = "Platform key."
  value       = module.kms.key_arn
}

output "ecr_repository_names" {
  description = "Image repositories."
  value       = module.ecr.repository_names
}

output "glue_job_name" {
  description = "Feature job."
  value       = module.feature_pipeline.job_name
}

output "function_name" {
  description = "Inference function."
  value       = module.inference.function_name
}

output "rest_api_id" {
  description = "REST API id."
  value       = module.inference.rest_api_id
}

output "codedeploy_app_name" {
  description = "CodeDeploy application."
  value       = module.inference.codedeploy_app_name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group."
  value       = module.inference.codedeploy_deployment_group_name
}

output "state_machine_arn" {
  description = "Retraining state machine."
  value       = module.orchestration.state_machine_arn
}

output "topic_arn" {
  description = "Alarm topic."
  value       = module.monitoring.topic_arn
}

output "alarm_names" {
  description = "Every alarm."
  value       = concat(module.monitoring.deployment_alarm_names, module.monitoring.model_alarm_names)
}

output "dashboard_name" {
  description = "Dashboard."
  value       = module.monitoring.dashboard_name
}

output "warmup_rule_name" {
  description = "Warm-up rule."
  value       = module.orchestration.warmup_rule_name
}

output "inference_log_group_name" {
  description = "Inference function's log group (source of the prediction log)."
  value       = module.inference.log_group_name
}

output "prediction_log_stream_name" {
  description = "Firehose stream of the prediction log."
  value       = module.monitoring.prediction_log_stream_name
}

output "prediction_log_filter_name" {
  description = "Subscription filter feeding the stream."
  value       = module.monitoring.prediction_log_filter_name
}

output "monitoring_function_name" {
  description = "Monitoring job function."
  value       = module.monitoring.runner_function_name
}

output "monitoring_rule_name" {
  description = "Monitoring job schedule."
  value       = module.monitoring.runner_schedule_rule_name
}

output "store_secret_arn" {
  description = "Stand-in store secret."
  value       = aws_secretsmanager_secret.store.arn
}
