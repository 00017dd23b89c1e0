output "job_name" {
  description = "Name of the Glue job."
  value       = aws_glue_job.this.name
}

output "job_arn" {
  description = "ARN of the Glue job."
  value       = aws_glue_job.this.arn
}

output "role_arn" {
  description = "IAM role the job runs as."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role the job runs as."
  value       = aws_iam_role.this.name
}

output "security_group_id" {
  description = "Security group of the Glue workers (a feature store client)."
  value       = aws_security_group.this.id
}

output "script_location" {
  description = "S3 URI the job loads its entry script from."
  value       = local.script_path
}

output "output_uri" {
  description = "S3 URI of the pipeline output root: run=<id>/ prefixes and the _LATEST pointer (docs/contracts)."
  value       = "s3://${var.features_bucket_name}/${var.features_prefix}"
}

output "raw_object_key" {
  description = "S3 key (in the raw bucket) of the raw loans CSV the job reads as --input."
  value       = var.raw_object_key
}
