output "pipeline_name" {
  description = "Name of the release pipeline."
  value       = aws_codepipeline.this.name
}

output "pipeline_arn" {
  description = "ARN of the release pipeline (the retraining flow starts it)."
  value       = aws_codepipeline.this.arn
}

output "project_names" {
  description = "CodeBuild project names by key (test-<suite>, image-<name>, glue-script, release-hook, infra-plan, infra-apply, deploy-inference, publish-release)."
  value       = { for k, p in aws_codebuild_project.this : k => p.name }
}

output "training_project_name" {
  description = "CodeBuild project running the train/register steps of the retraining flow."
  value       = aws_codebuild_project.training.name
}

output "training_project_arn" {
  description = "ARN of the training project."
  value       = aws_codebuild_project.training.arn
}

output "training_security_group_id" {
  description = "Security group of the training builds (a PostgreSQL client)."
  value       = aws_security_group.training.id
}

output "release_hook_key_prefix" {
  description = "Key prefix in the artifacts bucket under which the release-hook project uploads pre_traffic_hook-<sha256 of the source>.zip (the inference module's pre_traffic_hook.s3_key)."
  value       = local.hook_key_prefix
}

output "failure_rule_names" {
  description = "EventBridge rules that send failed pipeline executions, builds and CodeDeploy deployments to the topic."
  value       = [for rule in aws_cloudwatch_event_rule.failure : rule.name]
}
