output "project_name" {
  description = "CodeBuild project running db-bootstrap (also when create_project = false)."
  value       = local.name
}

output "project_arn" {
  description = "ARN of that project."
  value       = "arn:${local.partition}:codebuild:${local.region}:${local.account_id}:project/${local.name}"
}

output "role_arn" {
  description = "Role of the db-bootstrap builds (reads the master secret, writes the service secrets)."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of that role."
  value       = aws_iam_role.this.name
}

output "security_group_id" {
  description = "Security group of the builds (admitted by the database instance)."
  value       = aws_security_group.this.id
}

output "environment" {
  description = "Environment variables of the project: DB_BOOTSTRAP_MASTER_SECRET_ARN, DB_BOOTSTRAP_HOST, DB_BOOTSTRAP_PORT, DB_BOOTSTRAP_SERVICE_SECRETS (role=ARN,...)."
  value       = local.environment
}
