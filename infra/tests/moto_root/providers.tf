# Always emulated: this root exists only to be applied against an AWS emulator. Same services
# and switches as the market roots' providers.tf with aws_endpoint_url set.
locals {
  emulated_services = [
    "apigateway", "cloudwatch", "cloudwatchlogs", "codebuild", "codedeploy", "codepipeline",
    "ec2", "ecr", "eventbridge", "firehose", "glue", "iam", "kms", "lambda", "rds", "s3", "secretsmanager",
    "sfn", "sns", "sqs", "sts", "wafv2",
  ]
  endpoint = { for service in local.emulated_services : service => lookup(var.aws_service_endpoints, service, var.aws_endpoint_url) }
}

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
    apigateway     = local.endpoint.apigateway
    cloudwatch     = local.endpoint.cloudwatch
    cloudwatchlogs = local.endpoint.cloudwatchlogs
    codebuild      = local.endpoint.codebuild
    codedeploy     = local.endpoint.codedeploy
    codepipeline   = local.endpoint.codepipeline
    ec2            = local.endpoint.ec2
    ecr            = local.endpoint.ecr
    eventbridge    = local.endpoint.eventbridge
    firehose       = local.endpoint.firehose
    glue           = local.endpoint.glue
    iam            = local.endpoint.iam
    kms            = local.endpoint.kms
    lambda         = local.endpoint.lambda
    rds            = local.endpoint.rds
    s3             = local.endpoint.s3
    secretsmanager = local.endpoint.secretsmanager
    sfn            = local.endpoint.sfn
    sns            = local.endpoint.sns
    sqs            = local.endpoint.sqs
    sts            = local.endpoint.sts
    wafv2          = local.endpoint.wafv2
  }
}
