# REST API (v1) in front of the alias. Callers authenticate with SigV4 (AWS_IAM on every method)
# and the resource policy lets only the market's consumers' principals invoke; the API key is
# not a credential, it only selects the caller's usage plan (throttling and quota). Lambda proxy
# integration: the FastAPI app does the routing.
resource "aws_api_gateway_rest_api" "this" {
  name        = local.function_name
  description = "Credit-risk prediction API (${var.name_prefix})"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  consumer_principal_arns = sort(distinct(flatten([for c in values(var.api_consumers) : c.principal_arns])))

  # Everything a deployment snapshots. Add any new route, method, integration, authorizer or
  # gateway response here, or it will not reach the live stage.
  api_parts = {
    resources    = aws_api_gateway_resource.proxy
    methods      = aws_api_gateway_method.proxy
    integrations = aws_api_gateway_integration.proxy
    validators   = aws_api_gateway_request_validator.this
    policy       = aws_api_gateway_rest_api_policy.this
  }
  # Unset and empty are the same to API Gateway, and a read returns [] or {} where the create
  # left null: both are dropped, so a refresh alone never redeploys.
  api_definition = {
    for part, object in local.api_parts : part => {
      for attribute, value in object : attribute => jsonencode(value) if try(length(value) > 0, value != null)
    }
  }
}

# Rejects requests with missing required parameters before they cost a Lambda invocation; the body
# is validated by the service's own schemas (it knows the feature contract).
resource "aws_api_gateway_request_validator" "this" {
  name                        = "parameters"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_parameters = true
  validate_request_body       = false
}

resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "proxy" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.proxy.id
  http_method          = "ANY"
  authorization        = "AWS_IAM"
  api_key_required     = true
  request_validator_id = aws_api_gateway_request_validator.this.id
}

resource "aws_api_gateway_integration" "proxy" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.proxy.id
  http_method             = aws_api_gateway_method.proxy.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  # The alias, not $LATEST: traffic follows whatever the live alias routes to.
  uri = aws_lambda_alias.this.invoke_arn
}

# Only SigV4-signed calls of the consumers' principals get through. With IAM authorization, a
# caller in this account whose own IAM policy allows execute-api:Invoke would be let in without
# the Allow below, so everyone else is denied explicitly (aws:PrincipalArn is the role ARN of an
# assumed-role session).
data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ConsumersInvoke"
    effect    = "Allow"
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.this.execution_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = local.consumer_principal_arns
    }
  }

  statement {
    sid       = "DenyAllButConsumers"
    effect    = "Deny"
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.this.execution_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = local.consumer_principal_arns
    }
  }
}

resource "aws_api_gateway_rest_api_policy" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  policy      = data.aws_iam_policy_document.api.json
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # A REST API serves its last deployment: a change to any part of the definition (routes,
  # authorization, integration, validator, resource policy) must redeploy, so the whole
  # objects are hashed, not only their ids (which an in-place change keeps).
  triggers = {
    redeployment = sha1(jsonencode(local.api_definition))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Responses are per-customer scores that must reflect the latest feature store row; caching them would serve stale risk.
  #checkov:skip=CKV2_AWS_51:Consumers authenticate with SigV4 (AWS_IAM) over TLS; the backend is a Lambda integration, not an HTTP endpoint that needs client certificates.
  deployment_id         = aws_api_gateway_deployment.this.id
  rest_api_id           = aws_api_gateway_rest_api.this.id
  stage_name            = var.stage_name
  xray_tracing_enabled  = true
  cache_cluster_enabled = false

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      status             = "$context.status"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationStatus  = "$context.integration.status"
      apiKeyId           = "$context.identity.apiKeyId"
      caller             = "$context.identity.userArn"
      sourceIp           = "$context.identity.sourceIp"
      wafResponse        = "$context.wafResponseCode"
    })
  }

  tags = var.tags

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "this" {
  #checkov:skip=CKV_AWS_225:Caching is off on purpose (see the stage): scores must reflect the latest features.
  #checkov:skip=CKV_AWS_308:No cache exists, so there is no cache data to encrypt.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled = true
    logging_level   = "ERROR"
    # Full request/response logging would copy customer data into logs.
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttle_rate_limit
    throttling_burst_limit = var.throttle_burst_limit
    caching_enabled        = false
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.function_name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowApiGatewayInvokeLive"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.this.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*"
}

# One usage plan per consumer: its own throttle and monthly quota, so one caller's burst cannot
# use up another's share (the stage-wide limits above cap the sum).
resource "aws_api_gateway_usage_plan" "this" {
  for_each = var.api_consumers

  name        = "${local.function_name}-${each.key}"
  description = "Throttling and quota of ${each.key}"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = each.value.rate_limit
    burst_limit = each.value.burst_limit
  }

  quota_settings {
    limit  = each.value.monthly_quota
    period = "MONTH"
  }

  tags = var.tags
}

resource "aws_api_gateway_api_key" "this" {
  for_each = var.api_consumers

  name    = "${local.function_name}-${each.key}"
  enabled = true

  tags = var.tags
}

resource "aws_api_gateway_usage_plan_key" "this" {
  for_each = var.api_consumers

  key_id        = aws_api_gateway_api_key.this[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this[each.key].id
}

# Account-wide setting API Gateway needs to write execution logs.
resource "aws_api_gateway_account" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_logs[0].arn
}

data "aws_iam_policy_document" "api_gateway_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_logs" {
  count = var.manage_api_gateway_account ? 1 : 0

  name               = "${var.name_prefix}-apigateway-logs"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "api_gateway_logs" {
  statement {
    sid = "ExecutionLogsOfThisAccountsApis"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
      "logs:GetLogEvents",
      "logs:FilterLogEvents",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:API-Gateway-Execution-Logs_*"]
  }
}

resource "aws_iam_role_policy" "api_gateway_logs" {
  count = var.manage_api_gateway_account ? 1 : 0

  name   = "execution-logs"
  role   = aws_iam_role.api_gateway_logs[0].id
  policy = data.aws_iam_policy_document.api_gateway_logs.json
}
