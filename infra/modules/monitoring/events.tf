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
