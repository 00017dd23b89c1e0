resource "aws_cloudwatch_event_rule" "retraining" {
  name                = "${var.name_prefix}-retraining-schedule"
  description         = "Starts the retraining state machine"
  schedule_expression = var.retraining_schedule
  state               = var.retraining_enabled ? "ENABLED" : "DISABLED"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "retraining" {
  rule      = aws_cloudwatch_event_rule.retraining.name
  target_id = "retraining-state-machine"
  arn       = aws_sfn_state_machine.this.arn
  role_arn  = aws_iam_role.events.arn
  input     = jsonencode({ trigger = "schedule" })
}

# Warm-up ping: keeps a few execution environments of the live alias initialised (ONNX session
# and DB pool loaded) so the first real request after a quiet period is not a cold start.
resource "aws_cloudwatch_event_rule" "warmup" {
  name                = "${var.name_prefix}-inference-warmup"
  description         = "Warm-up ping for the inference Lambda's live alias"
  schedule_expression = var.warmup_schedule

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "warmup" {
  rule      = aws_cloudwatch_event_rule.warmup.name
  target_id = "inference-live-alias"
  arn       = var.alias_arn
  # Contract with the inference handler: this payload is answered without touching the model.
  input = jsonencode({ warmup = true })
}

resource "aws_lambda_permission" "warmup" {
  statement_id  = "AllowWarmupRule"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  qualifier     = var.alias_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.warmup.arn
}
