# State per market/environment in S3, locked with S3 conditional writes (use_lockfile, TF >= 1.10).
terraform {
  backend "s3" {
    bucket       = "credit-risk-tfstate-mx-staging"
    key          = "mx/staging/terraform.tfstate"
    region       = "mx-central-1"
    encrypt      = true
    use_lockfile = true
  }
}
