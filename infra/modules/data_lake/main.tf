# Data lake: raw loans files, processed features, model artifacts (bundles, Glue scripts,
# pipeline artifacts), plus a separate bucket receiving S3 server access logs of the others.
data "aws_caller_identity" "current" {}

module "bucket" {
  source   = "../s3_bucket"
  for_each = var.buckets

  # Bucket names are global: the account id keeps two accounts' markets from colliding.
  bucket_name                        = "${var.name_prefix}-${each.key}-${data.aws_caller_identity.current.account_id}"
  purpose                            = each.key
  tags                               = var.tags
  kms_key_arn                        = var.kms_key_arn
  access_log_bucket                  = module.logs.bucket_name
  transition_to_ia_days              = each.value.transition_to_ia_days
  noncurrent_version_expiration_days = each.value.noncurrent_version_expiration_days
  expiration_prefixes                = each.value.expiration_prefixes
  force_destroy                      = var.force_destroy
}

# Target of the data buckets' S3 server access logs.
module "logs" {
  source = "../access_log_bucket"

  bucket_name    = "${var.name_prefix}-logs-${data.aws_caller_identity.current.account_id}"
  tags           = var.tags
  retention_days = var.access_log_retention_days
  force_destroy  = var.force_destroy
}
