output "name_prefix" {
  description = "Prefix of every resource name."
  value       = module.platform.name_prefix
}

output "bucket_names" {
  description = "Data lake buckets by purpose."
  value       = module.platform.bucket_names
}

output "logs_bucket_name" {
  description = "Access-log bucket."
  value       = module.platform.logs_bucket_name
}

output "kms_key_arn" {
  description = "Platform key."
  value       = module.platform.kms_key_arn
}

output "ecr_repository_names" {
  description = "Image repositories."
  value       = module.platform.ecr_repository_names
}

output "features_uri" {
  description = "Output root of the feature pipeline (run=<id>/ prefixes, _LATEST)."
  value       = module.platform.features_uri
}

output "glue_job_name" {
  description = "Feature job."
  value       = module.platform.glue_job_name
}

output "function_name" {
  description = "Inference function."
  value       = module.platform.function_name
}

output "rest_api_id" {
  description = "REST API id."
  value       = module.platform.rest_api_id
}

output "api_key_ids" {
  description = "API key id by consumer."
  value       = module.platform.api_key_ids
}

output "codedeploy_app_name" {
  description = "CodeDeploy application."
  value       = module.platform.codedeploy_app_name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group."
  value       = module.platform.codedeploy_deployment_group_name
}

output "state_machine_arn" {
  description = "Retraining state machine."
  value       = module.platform.state_machine_arn
}

output "topic_arn" {
  description = "Alarm topic."
  value       = module.platform.alarm_topic_arn
}

output "alarm_names" {
  description = "Every alarm."
  value       = module.platform.alarm_names
}

output "dashboard_name" {
  description = "Dashboard."
  value       = module.platform.dashboard_name
}

output "warmup_rule_name" {
  description = "Warm-up rule."
  value       = module.platform.warmup_rule_name
}

output "inference_log_group_name" {
  description = "Inference function's log group (source of the prediction log)."
  value       = module.platform.inference_log_group_name
}

output "prediction_log_stream_name" {
  description = "Firehose stream of the prediction log."
  value       = module.platform.prediction_log_stream_name
}

output "prediction_log_filter_name" {
  description = "Subscription filter feeding the stream."
  value       = module.platform.prediction_log_filter_name
}

output "monitoring_function_name" {
  description = "Monitoring job function."
  value       = module.platform.monitoring_function_name
}

output "monitoring_rule_name" {
  description = "Monitoring job schedule."
  value       = module.platform.monitoring_rule_name
}

output "training_project_name" {
  description = "Training CodeBuild project (not created on moto; its role is)."
  value       = module.platform.training_project_name
}

output "db_bootstrap_project_name" {
  description = "db-bootstrap CodeBuild project (not created on moto; its role is)."
  value       = module.platform.db_bootstrap_project_name
}

output "database" {
  description = "Proxy endpoint and resource id, database names, master (stand-in) secret, service role secrets and rds-db:connect ARNs, db-bootstrap environment."
  value       = module.platform.database
}

output "customer_ref_key_secret_arn" {
  description = "Secret of the customer_ref pseudonym key."
  value       = module.platform.customer_ref_key_secret_arn
}

output "component_roles" {
  description = "IAM role (arn, name) of every component, for sts:AssumeRole in tests."
  value       = module.platform.component_roles
}
