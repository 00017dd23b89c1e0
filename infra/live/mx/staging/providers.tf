locals {
  # Non-empty aws_endpoint_url = talk to an AWS emulator (moto) instead of AWS: every service the
  # modules use is pointed at it and the AWS-only credential/metadata checks are skipped.
  emulated = var.aws_endpoint_url != ""
  emulated_services = [
    "apigateway", "cloudwatch", "cloudwatchlogs", "codebuild", "codedeploy", "codepipeline",
    "ec2", "ecr", "eventbridge", "firehose", "glue", "iam", "kms", "lambda", "rds", "s3", "secretsmanager",
    "sfn", "sns", "sqs", "sts", "wafv2",
  ]
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

  dynamic "endpoints" {
    for_each = local.emulated ? [1] : []
    content {
      apigateway     = var.aws_endpoint_url
      cloudwatch     = var.aws_endpoint_url
      cloudwatchlogs = var.aws_endpoint_url
      codebuild      = var.aws_endpoint_url
      codedeploy     = var.aws_endpoint_url
      codepipeline   = var.aws_endpoint_url
      ec2            = var.aws_endpoint_url
      ecr            = var.aws_endpoint_url
      eventbridge    = var.aws_endpoint_url
      firehose       = var.aws_endpoint_url
      glue           = var.aws_endpoint_url
      iam            = var.aws_endpoint_url
      kms            = var.aws_endpoint_url
      lambda         = var.aws_endpoint_url
      rds            = var.aws_endpoint_url
      s3             = var.aws_endpoint_url
      secretsmanager = var.aws_endpoint_url
      sfn            = var.aws_endpoint_url
      sns            = var.aws_endpoint_url
      sqs            = var.aws_endpoint_url
      sts            = var.aws_endpoint_url
      wafv2          = var.aws_endpoint_url
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
