output "name_prefix" {
  description = "Prefix of every resource name of this market/environment."
  value       = module.labels.name_prefix
}

output "bucket_names" {
  description = "Data lake buckets by purpose."
  value       = module.data_lake.bucket_names
}

output "ecr_repository_urls" {
  description = "Image repositories by short name."
  value       = module.ecr.repository_urls
}

output "api_invoke_url" {
  description = "Base URL of the prediction API."
  value       = module.inference.invoke_url
}

output "function_name" {
  description = "Inference Lambda function."
  value       = module.inference.function_name
}

output "state_machine_arn" {
  description = "Retraining state machine."
  value       = module.orchestration.state_machine_arn
}

output "alarm_topic_arn" {
  description = "Alarm topic."
  value       = module.monitoring.topic_arn
}

output "deployment_alarm_names" {
  description = "Alarms gating canaries (used by the release tool)."
  value       = module.monitoring.deployment_alarm_names
}

output "pipeline_name" {
  description = "Release pipeline."
  value       = module.cicd.pipeline_name
}

output "monitoring_function_name" {
  description = "Daily monitoring job (Lambda)."
  value       = module.monitoring.runner_function_name
}

output "prediction_log_s3_prefix" {
  description = "Where the inference prediction log is delivered (one prefix per UTC day)."
  value       = module.monitoring.prediction_log_s3_prefix
}
