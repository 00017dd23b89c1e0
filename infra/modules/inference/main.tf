# The prediction API: a container-image Lambda in the VPC, served through the `live` alias.
# Terraform creates the function and the alias; releases move the alias (CodeDeploy canary or the
# release tool), which is why the alias' version and routing are ignored below.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  function_name = "${var.name_prefix}-inference"
  alias_name    = "live"

  environment = merge(
    {
      # The URL names the service's own database role on the proxy and no password; with
      # FEATURE_STORE_AUTH=iam the service mints an IAM token per new connection and verifies
      # the proxy's certificate (docs/database-access.md).
      FEATURE_STORE_URL  = "postgresql+psycopg2://${var.store_user}@${var.store_proxy_endpoint}:${var.store_port}/${var.store_database}"
      FEATURE_STORE_AUTH = "iam"
      # Key of the customer_ref pseudonym in the prediction log (HMAC-SHA256).
      # No METRICS_FLUSH_INTERVAL_SECONDS: Lambda publishes after every invocation, and the
      # service refuses 0 at start-up (every INIT would fail).
      CUSTOMER_REF_KEY_SECRET_ARN = var.customer_ref_key_secret_arn
      LOG_LEVEL                   = "INFO"
      # The namespace and service dimension the canary and serving alarms watch.
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      POWERTOOLS_SERVICE_NAME      = var.metrics_service
    },
    var.environment_variables,
  )
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway (and by the warm-up rule); a DLQ only applies to asynchronous invocations, callers see errors directly.
  #checkov:skip=CKV_AWS_272:Lambda code signing applies to .zip packages only; container images are immutable ECR tags scanned on push.
  function_name = local.function_name
  description   = "Credit-risk prediction API (FastAPI through Mangum)"
  role          = aws_iam_role.this.arn
  package_type  = "Image"
  image_uri     = var.image_uri
  architectures = ["x86_64"]
  memory_size   = var.memory_mb
  timeout       = var.timeout_seconds
  publish       = true

  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = local.environment
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  tags = var.tags

  lifecycle {
    # New images reach the function through releases, not through terraform apply.
    ignore_changes = [image_uri]
  }

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_lambda_alias" "this" {
  name             = local.alias_name
  description      = "Version serving production traffic"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  lifecycle {
    # Traffic moves through releases (CodeDeploy / the release tool), which also keep the
    # rollback record in the alias description; an apply must not undo either.
    ignore_changes = [function_version, routing_config, description]
  }
}

resource "aws_lambda_provisioned_concurrency_config" "this" {
  count = var.provisioned_concurrency > 0 ? 1 : 0

  function_name                     = aws_lambda_function.this.function_name
  qualifier                         = aws_lambda_alias.this.name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

# Holds the prediction log lines (shipped to S3 by the monitoring module within minutes), hence
# its own, market-configurable retention.
resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.function_log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}
