# Same emulator switch as the market roots, always on: this root exists only to be applied
# against the moto server by infra/tests/test_terraform_moto.py.
provider "aws" {
  region = var.aws_region

  # The release tool keeps its audit trail (who/when/why of each canary, promote, rollback) in
  # function tags; an apply must not erase it.
  ignore_tags {
    key_prefixes = ["release:"]
  }

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  # The emulator never throttles: an unimplemented call should fail fast, not be retried for minutes.
  max_retries = 2

  endpoints {
    apigateway     = var.aws_endpoint_url
    cloudwatch     = var.aws_endpoint_url
    cloudwatchlogs = var.aws_endpoint_url
    codedeploy     = var.aws_endpoint_url
    ec2            = var.aws_endpoint_url
    ecr            = var.aws_endpoint_url
    eventbridge    = var.aws_endpoint_url
    firehose       = var.aws_endpoint_url
    glue           = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    kms            = var.aws_endpoint_url
    lambda         = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    secretsmanager = var.aws_endpoint_url
    sfn            = var.sfn_endpoint_url == "" ? var.aws_endpoint_url : var.sfn_endpoint_url
    sns            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
    wafv2          = var.aws_endpoint_url
  }
}
