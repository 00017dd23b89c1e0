# Same emulator switch as the market roots: aws_endpoint_url set = every service at an emulator.
locals {
  emulated = var.aws_endpoint_url != ""
}

provider "aws" {
  region = var.aws_region

  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_region_validation      = local.emulated
  s3_use_path_style           = local.emulated
  max_retries                 = local.emulated ? 2 : null

  dynamic "endpoints" {
    for_each = local.emulated ? [1] : []
    content {
      iam                 = var.aws_endpoint_url
      kms                 = var.aws_endpoint_url
      s3                  = var.aws_endpoint_url
      sts                 = var.aws_endpoint_url
      codestarconnections = var.aws_endpoint_url
    }
  }
}
