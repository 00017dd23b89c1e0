# db-bootstrap a CodeBuild project inside the VPC: the only component
# that uses the RDS master user. It creates the service roles, databases, grants and default
# privileges, sets each service role's password and writes it into that role's secret, which the
# RDS Proxy reads. Idempotent: the infra-apply build runs it after every apply.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.name_prefix}-db-bootstrap"
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # role=ARN,role=ARN: the --service-secrets argument of db-bootstrap.
  service_secrets = join(",", [for role in sort(keys(var.service_secret_arns)) : "${role}=${var.service_secret_arns[role]}"])

  environment = {
    DB_BOOTSTRAP_MASTER_SECRET_ARN = var.master_secret_arn
    DB_BOOTSTRAP_HOST              = var.db_host
    DB_BOOTSTRAP_PORT              = tostring(var.db_port)
    DB_BOOTSTRAP_SERVICE_SECRETS   = local.service_secrets
  }
}

resource "aws_codebuild_project" "this" {
  count = var.create_project ? 1 : 0

  name           = local.name
  description    = "Create the feature store's service roles, databases and grants; fill their secrets (master user)"
  service_role   = aws_iam_role.this.arn
  build_timeout  = var.timeout_minutes
  encryption_key = var.kms_key_arn

  # Started by ci/scripts/run-db-bootstrap.sh (infra-apply) with the image of the same pipeline
  # execution; the buildspec is ci/buildspecs/db-bootstrap.yml, passed in as text.
  source {
    type      = "NO_SOURCE"
    buildspec = var.buildspec
  }

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    compute_type                = "BUILD_GENERAL1_SMALL"
    image                       = var.image_uri
    type                        = "LINUX_CONTAINER"
    image_pull_credentials_type = "SERVICE_ROLE"
    privileged_mode             = false

    dynamic "environment_variable" {
      for_each = local.environment
      content {
        name  = environment_variable.key
        value = environment_variable.value
      }
    }
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.this.name
      status     = "ENABLED"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/codebuild/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}
