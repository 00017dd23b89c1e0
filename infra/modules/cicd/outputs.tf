output "pipeline_name" {
  description = "Name of the release pipeline (also when create_projects = false)."
  value       = local.pipeline_name
}

output "pipeline_arn" {
  description = "ARN of the release pipeline (the retraining flow starts it)."
  value       = local.pipeline_arn
}

output "project_names" {
  description = "CodeBuild project names by key (test-<suite>, image-<name>, glue-script, release-hook, infra-plan, infra-apply, deploy-inference, publish-release)."
  value       = { for k in keys(local.projects) : k => "${var.name_prefix}-${k}" }
}

output "training_project_name" {
  description = "CodeBuild project running the train/register steps of the retraining flow."
  value       = local.training_project_name
}

output "training_project_arn" {
  description = "ARN of the training project."
  value       = local.training_project_arn
}

output "training_security_group_id" {
  description = "Security group of the training builds (a PostgreSQL client)."
  value       = aws_security_group.training.id
}

output "role_arns" {
  description = "IAM roles of the CI/CD components by name: ci-test, ci-image, ci-glue, ci-infra, ci-deploy (CodeBuild), release-pipeline (CodePipeline), training (CodeBuild)."
  value = merge(
    { for k, r in aws_iam_role.codebuild : "ci-${k}" => r.arn },
    { release-pipeline = aws_iam_role.pipeline.arn, training = aws_iam_role.training.arn },
  )
}

output "role_names" {
  description = "Names of the same roles, by the same keys."
  value = merge(
    { for k, r in aws_iam_role.codebuild : "ci-${k}" => r.name },
    { release-pipeline = aws_iam_role.pipeline.name, training = aws_iam_role.training.name },
  )
}

output "release_hook_key_prefix" {
  description = "Key prefix in the artifacts bucket under which the release-hook project uploads pre_traffic_hook-<sha256 of the source>.zip (the inference module's pre_traffic_hook.s3_key)."
  value       = local.hook_key_prefix
}

output "failure_rule_names" {
  description = "EventBridge rules that send failed pipeline executions, builds and CodeDeploy deployments to the topic."
  value       = [for rule in aws_cloudwatch_event_rule.failure : rule.name]
}
