# Failures that produce no metric by themselves: feature job runs and retraining executions.
resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  name        = "${var.name_prefix}-feature-job-failed"
  description = "Feature pipeline Glue job run failed, timed out or stopped"
  event_pattern = jsonencode({
    source      = ["aws.glue"]
    detail-type = ["Glue Job State Change"]
    detail = {
      jobName = [var.glue_job_name]
      state   = ["FAILED", "TIMEOUT", "STOPPED", "ERROR"]
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "glue_job_failed" {
  rule      = aws_cloudwatch_event_rule.glue_job_failed.name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.this.arn
}

resource "aws_cloudwatch_event_rule" "retraining_failed" {
  name        = "${var.name_prefix}-retraining-failed"
  description = "Retraining state machine execution failed, timed out or was aborted"
  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail = {
      stateMachineArn = [var.state_machine_arn]
      status          = ["FAILED", "TIMED_OUT", "ABORTED"]
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "retraining_failed" {
  rule      = aws_cloudwatch_event_rule.retraining_failed.name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.this.arn
}

# Dependency changes: an image scan on push (ECR basic scanning) that finds CRITICAL or HIGH
# vulnerabilities in any of the market's images. A finding in a base image or a locked package
# reaches the topic with the repository, digest and counts (the event's detail).
resource "aws_cloudwatch_event_rule" "image_scan_findings" {
  name        = "${var.name_prefix}-image-scan-findings"
  description = "An image scan of the market's ECR repositories found CRITICAL or HIGH vulnerabilities"
  event_pattern = jsonencode({
    source      = ["aws.ecr"]
    detail-type = ["ECR Image Scan"]
    detail = {
      scan-status     = ["COMPLETE"]
      repository-name = sort(var.image_repository_names)
      "$or" = [
        { finding-severity-counts = { CRITICAL = [{ numeric = [">", 0] }] } },
        { finding-severity-counts = { HIGH = [{ numeric = [">", 0] }] } },
      ]
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "image_scan_findings" {
  rule      = aws_cloudwatch_event_rule.image_scan_findings.name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.this.arn
}
