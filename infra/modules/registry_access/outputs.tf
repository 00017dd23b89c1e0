output "instance_id" {
  description = "The host operators port-forward through (the --target of aws ssm start-session); null without a host."
  value       = one(aws_instance.this[*].id)
}

output "security_group_id" {
  description = "Security group of the host: the RDS Proxy must admit it (feature_store client_security_group_ids)."
  value       = aws_security_group.this.id
}

output "operator_policy_arn" {
  description = "Managed policy to attach to the operators who may use the registry UI and platform-status."
  value       = aws_iam_policy.operator.arn
}

output "host_role_name" {
  description = "IAM role of the host (the SSM agent's permissions only)."
  value       = aws_iam_role.host.name
}
