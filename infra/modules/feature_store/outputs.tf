output "db_instance_identifier" {
  description = "RDS instance identifier."
  value       = local.identifier
}

output "db_instance_arn" {
  description = "RDS instance ARN (null when create_instance = false)."
  value       = one(aws_db_instance.this[*].arn)
}

output "db_instance_address" {
  description = "Hostname of the instance: only db-bootstrap connects here (null when create_instance = false)."
  value       = one(aws_db_instance.this[*].address)
}

output "port" {
  description = "PostgreSQL port of the instance and the proxy."
  value       = var.port
}

output "database_name" {
  description = "Database holding the customer_features table."
  value       = var.database_name
}

output "master_username" {
  description = "Master user name (used only by db-bootstrap)."
  value       = var.master_username
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret holding the master credentials (managed and rotated by RDS; the emulator stand-in when create_instance = false). Only db-bootstrap may read it."
  value       = local.master_user_secret_arn
}

output "service_secret_arns" {
  description = "Secret of each service role (role => ARN): created empty, written by db-bootstrap, read by the proxy."
  value       = { for role, s in aws_secretsmanager_secret.service : role => s.arn }
}

output "proxy_endpoint" {
  description = "RDS Proxy endpoint every service connects to (IAM auth + TLS)."
  value       = aws_db_proxy.this.endpoint
}

output "proxy_arn" {
  description = "RDS Proxy ARN."
  value       = aws_db_proxy.this.arn
}

output "proxy_resource_id" {
  description = "Resource id of the proxy (prx-..., last part of its ARN), used in rds-db:connect IAM policies."
  value       = local.proxy_resource_id
}

output "db_user_arns" {
  description = "rds-db:connect resource of each service role on the proxy (role => arn:...:dbuser:<proxy resource id>/<role>)."
  value       = local.db_user_arns
}

output "security_group_id" {
  description = "Security group of the database instance."
  value       = aws_security_group.this.id
}

output "proxy_security_group_id" {
  description = "Security group of the RDS Proxy."
  value       = aws_security_group.proxy.id
}
