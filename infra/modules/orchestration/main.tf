# Retraining flow (Step Functions) and the schedules around it.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  state_machine_name = "${var.name_prefix}-retraining"
  partition          = data.aws_partition.current.partition
  region             = data.aws_region.current.name
  account_id         = data.aws_caller_identity.current.account_id

  definition = templatefile("${path.module}/templates/retraining.asl.json", {
    partition             = local.partition
    name_prefix           = var.name_prefix
    glue_job_name         = var.glue_job_name
    training_project_name = var.training_project_name
    release_pipeline_name = var.release_pipeline_name
    topic_arn             = var.topic_arn
  })
}

resource "aws_sfn_state_machine" "this" {
  name       = local.state_machine_name
  role_arn   = aws_iam_role.state_machine.arn
  type       = "STANDARD"
  definition = local.definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = var.kms_key_arn
    kms_data_key_reuse_period_seconds = 300
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}
