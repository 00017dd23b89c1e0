# Failures of the release chain reach the platform's topic: a failed or stopped pipeline
# execution, a failed build of any of this module's projects (the training builds included) and
# a failed or stopped CodeDeploy deployment (a canary rolled back by an alarm or the hook).
locals {
  notification_topic_arn = coalesce(var.notification_topic_arn, var.approval_topic_arn)
  failure_rules = {
    pipeline-failed = {
      description = "Release pipeline execution failed or was stopped"
      pattern = {
        source      = ["aws.codepipeline"]
        detail-type = ["CodePipeline Pipeline Execution State Change"]
        detail      = { pipeline = [local.pipeline_name], state = ["FAILED", "STOPPED"] }
      }
      message = "Release pipeline <pipeline> execution <execution> ended <state>."
      paths   = { pipeline = "$.detail.pipeline", execution = "$.detail.execution-id", state = "$.detail.state" }
    }
    build-failed = {
      description = "A CI or training build failed, timed out or was stopped"
      pattern = {
        source      = ["aws.codebuild"]
        detail-type = ["CodeBuild Build State Change"]
        detail = {
          project-name = concat([for k in keys(local.projects) : "${var.name_prefix}-${k}"], [local.training_project_name])
          build-status = ["FAILED", "FAULT", "TIMED_OUT", "STOPPED"]
        }
      }
      message = "Build <build> of <project> ended <status>."
      paths   = { project = "$.detail.project-name", build = "$.detail.build-id", status = "$.detail.build-status" }
    }
    deployment-failed = {
      description = "A CodeDeploy deployment of the inference alias failed or was stopped (rolled back)"
      pattern = {
        source      = ["aws.codedeploy"]
        detail-type = ["CodeDeploy Deployment State-change Notification"]
        detail = {
          application     = [var.codedeploy_app_name]
          deploymentGroup = [var.codedeploy_deployment_group_name]
          state           = ["FAILURE", "STOP"]
        }
      }
      message = "CodeDeploy deployment <deployment> of <group> ended <state>: traffic went back to the previous version (release status)."
      paths   = { deployment = "$.detail.deploymentId", group = "$.detail.deploymentGroup", state = "$.detail.state" }
    }
  }
}

resource "aws_cloudwatch_event_rule" "failure" {
  for_each = local.failure_rules

  name          = "${var.name_prefix}-${each.key}"
  description   = each.value.description
  event_pattern = jsonencode(each.value.pattern)

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "failure" {
  for_each = local.failure_rules

  rule      = aws_cloudwatch_event_rule.failure[each.key].name
  target_id = "platform-topic"
  arn       = local.notification_topic_arn

  input_transformer {
    input_paths    = each.value.paths
    input_template = jsonencode("${var.name_prefix}: ${each.value.message}")
  }
}
