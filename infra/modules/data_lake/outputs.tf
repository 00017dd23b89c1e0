output "bucket_names" {
  description = "Data bucket names by purpose (raw, features, artifacts, ...)."
  value       = { for k, b in module.bucket : k => b.bucket_name }
}

output "bucket_arns" {
  description = "Data bucket ARNs by purpose."
  value       = { for k, b in module.bucket : k => b.bucket_arn }
}

output "logs_bucket_name" {
  description = "Name of the bucket receiving S3 server access logs."
  value       = module.logs.bucket_name
}
