output "state_machine_arn" {
  description = "ARN of the retraining state machine."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the retraining state machine."
  value       = aws_sfn_state_machine.this.name
}

output "definition" {
  description = "Rendered Amazon States Language definition (validated by infra/tests)."
  value       = local.definition
}

output "warmup_rule_name" {
  description = "EventBridge rule pinging the live alias."
  value       = aws_cloudwatch_event_rule.warmup.name
}

output "retraining_rule_name" {
  description = "EventBridge rule starting the retraining flow."
  value       = aws_cloudwatch_event_rule.retraining.name
}

output "state_machine_role_arn" {
  description = "Role the state machine runs as (its task permissions)."
  value       = aws_iam_role.state_machine.arn
}

output "state_machine_role_name" {
  description = "Name of that role."
  value       = aws_iam_role.state_machine.name
}
