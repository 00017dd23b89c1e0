# The CodeDeploy BeforeAllowTraffic hook (scripts/release-tool/src/release_tool/pre_traffic_hook.py):
# before any traffic reaches a new version it invokes it with API Gateway events (/ready, /version
# against the recorded model version and model_sha256, a prediction for a known customer) and
# tells CodeDeploy Succeeded or Failed. One file on the runtime's boto3, shipped as a zip the
# release-hook build uploads under its content hash (the hashicorp/archive provider is not used:
# CI installs only hashicorp/aws).
locals {
  hook_enabled       = var.pre_traffic_hook != null
  hook_function_name = "${local.function_name}-pre-traffic"
  deployment_group_arn = join(":", [
    "arn:${data.aws_partition.current.partition}:codedeploy:${data.aws_region.current.name}",
    "${data.aws_caller_identity.current.account_id}:deploymentgroup:${local.function_name}/${local.function_name}-live",
  ])
}

resource "aws_lambda_function" "pre_traffic_hook" {
  count = local.hook_enabled ? 1 : 0

  #checkov:skip=CKV_AWS_116:CodeDeploy waits for the hook's PutLifecycleEventHookExecutionStatus and fails the deployment without it; a DLQ would hold nothing anyone acts on.
  #checkov:skip=CKV_AWS_117:The hook calls only the Lambda and CodeDeploy APIs; placing it in the VPC would need interface endpoints for both and buys no isolation.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile per market; the zip is uploaded by CI under the SHA-256 of its source, which Terraform pins in s3_key.
  function_name = local.hook_function_name
  description   = "CodeDeploy BeforeAllowTraffic check of a new ${local.function_name} version"
  role          = aws_iam_role.pre_traffic_hook[0].arn
  runtime       = "python3.11"
  handler       = "pre_traffic_hook.handler"
  s3_bucket     = var.pre_traffic_hook.s3_bucket
  s3_key        = var.pre_traffic_hook.s3_key
  architectures = ["x86_64"]
  memory_size   = 256
  # Three invocations of the new version; the first may pay its cold start (bundle + store).
  timeout = 120

  reserved_concurrent_executions = 2
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      KNOWN_CUSTOMER_ID    = var.pre_traffic_hook.known_customer_id
      TARGET_FUNCTION_NAME = local.function_name
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.pre_traffic_hook[0].name
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.pre_traffic_hook]
}

resource "aws_cloudwatch_log_group" "pre_traffic_hook" {
  count = local.hook_enabled ? 1 : 0

  name              = "/aws/lambda/${local.hook_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "pre_traffic_hook_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "pre_traffic_hook" {
  count = local.hook_enabled ? 1 : 0

  name               = local.hook_function_name
  assume_role_policy = data.aws_iam_policy_document.pre_traffic_hook_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "pre_traffic_hook" {
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${local.hook_function_name}:*"]
  }

  statement {
    sid       = "ReadDeploymentAndReportVerdict"
    actions   = ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"]
    resources = [local.deployment_group_arn]
  }

  statement {
    sid       = "CheckTheNewVersion"
    actions   = ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"]
    resources = ["${aws_lambda_function.this.arn}:*"]
  }

  statement {
    sid       = "DecryptEnvironment"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "pre_traffic_hook" {
  count = local.hook_enabled ? 1 : 0

  name   = "pre-traffic-hook"
  role   = aws_iam_role.pre_traffic_hook[0].id
  policy = data.aws_iam_policy_document.pre_traffic_hook.json
}
