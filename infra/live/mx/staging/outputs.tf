output "name_prefix" {
  description = "Prefix of every resource name of this market/environment."
  value       = module.platform.name_prefix
}

output "bucket_names" {
  description = "Data lake buckets by purpose."
  value       = module.platform.bucket_names
}

output "ecr_repository_urls" {
  description = "Image repositories by short name."
  value       = module.platform.ecr_repository_urls
}

output "api_invoke_url" {
  description = "Base URL of the prediction API."
  value       = module.platform.api_invoke_url
}

output "function_name" {
  description = "Inference Lambda function."
  value       = module.platform.function_name
}

output "state_machine_arn" {
  description = "Retraining state machine."
  value       = module.platform.state_machine_arn
}

output "alarm_topic_arn" {
  description = "Alarm topic."
  value       = module.platform.alarm_topic_arn
}

output "deployment_alarm_names" {
  description = "Whole-alias service alarms (notify; canaries roll back on the per-version alarms)."
  value       = module.platform.deployment_alarm_names
}

output "pipeline_name" {
  description = "Release pipeline."
  value       = module.platform.pipeline_name
}

output "monitoring_function_name" {
  description = "Daily monitoring job (Lambda)."
  value       = module.platform.monitoring_function_name
}

output "prediction_log_s3_prefix" {
  description = "Where the inference prediction log is delivered (one prefix per UTC day)."
  value       = module.platform.prediction_log_s3_prefix
}

output "db_bootstrap_project_name" {
  description = "CodeBuild project running db-bootstrap (the infra-apply build starts it after apply)."
  value       = module.platform.db_bootstrap_project_name
}

output "component_roles" {
  description = "IAM role (arn, name) of every component."
  value       = module.platform.component_roles
}
