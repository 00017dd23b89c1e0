output "db_instance_identifier" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "RDS instance ARN."
  value       = aws_db_instance.this.arn
}

output "db_instance_address" {
  description = "Hostname of the instance (batch writers connect here)."
  value       = aws_db_instance.this.address
}

output "db_instance_resource_id" {
  description = "DbiResourceId, used in rds-db:connect IAM policies."
  value       = aws_db_instance.this.resource_id
}

output "database_name" {
  description = "Database holding the customer_features table."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Master user name."
  value       = aws_db_instance.this.username
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret (managed and rotated by RDS) holding the master credentials."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "proxy_endpoint" {
  description = "RDS Proxy endpoint the inference Lambda connects to (IAM auth + TLS)."
  value       = aws_db_proxy.this.endpoint
}

output "proxy_arn" {
  description = "RDS Proxy ARN."
  value       = aws_db_proxy.this.arn
}

output "proxy_resource_id" {
  description = "Resource id of the proxy (last part of its ARN), used in rds-db:connect IAM policies."
  value       = element(split(":", aws_db_proxy.this.arn), length(split(":", aws_db_proxy.this.arn)) - 1)
}

output "security_group_id" {
  description = "Security group of the database instance."
  value       = aws_security_group.this.id
}

output "proxy_security_group_id" {
  description = "Security group of the RDS Proxy."
  value       = aws_security_group.proxy.id
}
