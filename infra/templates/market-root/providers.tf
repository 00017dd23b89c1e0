locals {
  # Non-empty aws_endpoint_url = talk to an AWS emulator (moto server, LocalStack) instead of AWS:
  # every service the modules use is pointed at it (aws_service_endpoints may send single services
  # elsewhere) and the AWS-only credential/metadata/region checks are skipped (infra/README.md,
  # "Emulator override").
  emulated = var.aws_endpoint_url != ""
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

  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_region_validation      = local.emulated
  s3_use_path_style           = local.emulated
  # An emulator never throttles: an unimplemented call should fail fast, not be retried for minutes.
  max_retries = local.emulated ? 2 : null

  dynamic "endpoints" {
    for_each = local.emulated ? [1] : []
    content {
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

  dynamic "assume_role" {
    for_each = var.assume_role_arn == "" ? [] : [1]
    content {
      role_arn     = var.assume_role_arn
      session_name = "terraform-${var.market}-${var.environment}"
    }
  }
}
