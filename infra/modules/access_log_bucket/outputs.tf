output "bucket_name" {
  description = "Name of the access-log bucket (target_bucket of the logged buckets), known once its delivery policy is in place."
  # Through the policy: a bucket logging here waits for the delivery grant, not for the whole
  # module (its lifecycle rules take S3 up to a minute to report as applied).
  value = aws_s3_bucket_policy.this.bucket
}

output "bucket_arn" {
  description = "ARN of the access-log bucket."
  value       = aws_s3_bucket.this.arn
}
