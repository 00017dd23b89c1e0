output "name_prefix" {
  description = "Prefix of every resource name of this market/environment (<project>-<market>-<environment>)."
  value       = module.labels.name_prefix
}

output "kms_key_arn" {
  description = "Platform key."
  value       = module.kms.key_arn
}

output "bucket_names" {
  description = "Data lake buckets by purpose (raw, features, artifacts)."
  value       = module.data_lake.bucket_names
}

output "logs_bucket_name" {
  description = "Bucket receiving the S3 access logs."
  value       = module.data_lake.logs_bucket_name
}

output "ecr_repository_names" {
  description = "Image repositories by short name (inference, training, monitoring, db-bootstrap)."
  value       = module.ecr.repository_names
}

output "ecr_repository_urls" {
  description = "Image repository URLs by short name."
  value       = module.ecr.repository_urls
}

output "features_uri" {
  description = "Output root of the feature pipeline (run=<id>/ prefixes and the _LATEST pointer)."
  value       = module.feature_pipeline.output_uri
}

output "glue_job_name" {
  description = "Feature pipeline Glue job."
  value       = module.feature_pipeline.job_name
}

output "function_name" {
  description = "Inference Lambda function."
  value       = module.inference.function_name
}

output "api_invoke_url" {
  description = "Base URL of the prediction API."
  value       = module.inference.invoke_url
}

output "rest_api_id" {
  description = "ID of the prediction REST API."
  value       = module.inference.rest_api_id
}

output "api_key_ids" {
  description = "API key id by consumer (the key values are read from API Gateway by their owners, never output)."
  value       = module.inference.api_key_ids
}

output "codedeploy_app_name" {
  description = "CodeDeploy application of the inference function."
  value       = module.inference.codedeploy_app_name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group shifting the live alias (canary, alarm rollback)."
  value       = module.inference.codedeploy_deployment_group_name
}

output "inference_log_group_name" {
  description = "Inference function's log group (source of the prediction log)."
  value       = module.inference.log_group_name
}

output "state_machine_arn" {
  description = "Retraining state machine."
  value       = module.orchestration.state_machine_arn
}

output "warmup_rule_name" {
  description = "EventBridge rule pinging the live alias."
  value       = module.orchestration.warmup_rule_name
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm and failure notification."
  value       = module.monitoring.topic_arn
}

output "deployment_alarm_names" {
  description = "Whole-alias service alarms (API 5xx rate and latency, Lambda errors): they notify; canaries are rolled back by the inference module's per-version alarms."
  value       = module.monitoring.deployment_alarm_names
}

output "alarm_names" {
  description = "Every alarm of the market."
  value       = concat(module.monitoring.deployment_alarm_names, module.monitoring.model_alarm_names)
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the market."
  value       = module.monitoring.dashboard_name
}

output "monitoring_function_name" {
  description = "Daily monitoring job (Lambda)."
  value       = module.monitoring.runner_function_name
}

output "monitoring_rule_name" {
  description = "EventBridge rule starting the monitoring job."
  value       = module.monitoring.runner_schedule_rule_name
}

output "prediction_log_stream_name" {
  description = "Firehose stream delivering the prediction log to S3."
  value       = module.monitoring.prediction_log_stream_name
}

output "prediction_log_filter_name" {
  description = "Subscription filter on the inference log group feeding the stream."
  value       = module.monitoring.prediction_log_filter_name
}

output "prediction_log_s3_prefix" {
  description = "Where the prediction log is delivered (one prefix per UTC day)."
  value       = module.monitoring.prediction_log_s3_prefix
}

output "pipeline_name" {
  description = "Release pipeline."
  value       = module.cicd.pipeline_name
}

output "training_project_name" {
  description = "CodeBuild project of the train/register steps."
  value       = module.cicd.training_project_name
}

output "db_bootstrap_project_name" {
  description = "CodeBuild project running db-bootstrap (started by the infra-apply build after every apply)."
  value       = module.db_bootstrap.project_name
}

output "database" {
  description = "How the store is reached: proxy endpoint, port and resource id, database names, the master secret (db-bootstrap only), each service role's secret and rds-db:connect ARN, and the db-bootstrap environment."
  value = {
    proxy_endpoint      = module.feature_store.proxy_endpoint
    proxy_resource_id   = module.feature_store.proxy_resource_id
    port                = local.store_port
    features_database   = module.feature_store.database_name
    mlflow_database     = local.mlflow_database
    instance_address    = module.feature_store.db_instance_address
    master_secret_arn   = module.feature_store.master_user_secret_arn
    service_secret_arns = module.feature_store.service_secret_arns
    db_user_arns        = module.feature_store.db_user_arns
    db_bootstrap_env    = module.db_bootstrap.environment
  }
}

output "customer_ref_key_secret_arn" {
  description = "Secret of the customer_ref pseudonym key (CUSTOMER_REF_KEY_SECRET_ARN of inference and monitoring)."
  value       = module.customer_ref_key.secret_arn
}

output "component_roles" {
  description = "IAM role (arn, name) each component runs as, so tests can sts:AssumeRole it: feature-pipeline (Glue), inference (Lambda), monitoring (Lambda), training (CodeBuild), db-bootstrap (CodeBuild), state-machine (Step Functions), ci-test, ci-image, ci-glue, ci-infra, ci-deploy (CodeBuild), release-pipeline (CodePipeline), codedeploy (CodeDeploy)."
  value = merge(
    {
      feature-pipeline = { arn = module.feature_pipeline.role_arn, name = module.feature_pipeline.role_name }
      inference        = { arn = module.inference.role_arn, name = module.inference.role_name }
      monitoring       = { arn = module.monitoring.runner_role_arn, name = module.monitoring.runner_role_name }
      db-bootstrap     = { arn = module.db_bootstrap.role_arn, name = module.db_bootstrap.role_name }
      state-machine    = { arn = module.orchestration.state_machine_role_arn, name = module.orchestration.state_machine_role_name }
      codedeploy       = { arn = module.inference.codedeploy_deployment_role_arn, name = module.inference.codedeploy_deployment_role_name }
    },
    { for key, arn in module.cicd.role_arns : key => { arn = arn, name = module.cicd.role_names[key] } },
  )
}

output "registry_access" {
  description = "Operators' way to the private registry and store: the host to port-forward through (instance_id) and the policy to attach to operators (operator_policy_arn)."
  value = {
    instance_id         = module.registry_access.instance_id
    operator_policy_arn = module.registry_access.operator_policy_arn
  }
}
