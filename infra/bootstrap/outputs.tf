output "terraform_state_bucket" {
  description = "State bucket (backend.tf bucket of infra/live/<market>/<environment>, delivery.terraform_state_bucket)."
  value       = module.state_bucket.bucket_name
}

output "terraform_state_kms_key_arn" {
  description = "Key encrypting the state objects."
  value       = aws_kms_key.state.arn
}

output "terraform_deploy_role_arn" {
  description = "Role the CI infra builds assume (delivery.terraform_deploy_role_arn)."
  value       = aws_iam_role.deploy.arn
}

output "source_connection_arn" {
  description = "Connection to the Git host, PENDING until authorised in the console (delivery.source_connection_arn); null when not created."
  value       = one(aws_codestarconnections_connection.source[*].arn)
}
