output "function_name" {
  description = "Name of the inference Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the inference Lambda function (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "alias_name" {
  description = "Name of the alias serving traffic (live)."
  value       = aws_lambda_alias.this.name
}

output "alias_arn" {
  description = "ARN of the live alias (what API Gateway and the warm-up rule invoke)."
  value       = aws_lambda_alias.this.arn
}

output "security_group_id" {
  description = "Security group of the function (a feature store client)."
  value       = aws_security_group.this.id
}

output "role_arn" {
  description = "Execution role of the function."
  value       = aws_iam_role.this.arn
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "Name of the REST API (ApiName dimension of its CloudWatch metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "stage_name" {
  description = "Name of the API stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "invoke_url" {
  description = "Base URL of the API stage."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "api_key_ids" {
  description = "API key ids by consumer (values are read from API Gateway by their owners, never output)."
  value       = { for k, v in aws_api_gateway_api_key.this : k => v.id }
}

output "usage_plan_ids" {
  description = "Usage plan id by consumer."
  value       = { for k, v in aws_api_gateway_usage_plan.this : k => v.id }
}

output "codedeploy_deployment_role_arn" {
  description = "Role CodeDeploy assumes to shift the live alias."
  value       = aws_iam_role.codedeploy.arn
}

output "codedeploy_deployment_role_name" {
  description = "Name of the role CodeDeploy assumes."
  value       = aws_iam_role.codedeploy.name
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "codedeploy_app_name" {
  description = "CodeDeploy application shifting the alias."
  value       = aws_codedeploy_app.this.name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group (canary with alarm rollback)."
  value       = aws_codedeploy_deployment_group.this.deployment_group_name
}

output "deployment_config_name" {
  description = "Deployment configuration used by the group."
  value       = local.deployment_config_name
}

output "log_group_name" {
  description = "Log group of the function; its stdout prediction lines are shipped to S3 by the monitoring module."
  value       = aws_cloudwatch_log_group.function.name
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.function.arn
}

output "canary_alarm_names" {
  description = "Per-version alarms the deployment group watches (`release canary` points them at the version it releases)."
  value       = local.canary_alarm_names
}

output "pre_traffic_hook_function_name" {
  description = "The CodeDeploy BeforeAllowTraffic hook function (RELEASE_PRE_TRAFFIC_HOOK), null without pre_traffic_hook."
  value       = local.hook_enabled ? aws_lambda_function.pre_traffic_hook[0].function_name : null
}
