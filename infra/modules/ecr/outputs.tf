output "repository_urls" {
  description = "Repository URLs by short name (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "repository_arns" {
  description = "Repository ARNs by short name."
  value       = { for k, r in aws_ecr_repository.this : k => r.arn }
}

output "repository_names" {
  description = "Full repository names by short name."
  value       = { for k, r in aws_ecr_repository.this : k => r.name }
}
