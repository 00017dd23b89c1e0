output "secret_arn" {
  description = "ARN of the key's secret (CUSTOMER_REF_KEY_SECRET_ARN of inference and monitoring)."
  value       = aws_secretsmanager_secret.this.arn
}

output "secret_name" {
  description = "Name of the key's secret."
  value       = aws_secretsmanager_secret.this.name
}
