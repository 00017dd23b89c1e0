# The monitoring job (risk-monitoring, `risk_monitoring.lambda_handler.handler`) as a
# container-image Lambda in the private subnets: reads yesterday's prediction log objects and the
# champion bundle's metadata from S3, the online store's latest as_of through the RDS Proxy, writes its
# reports to the artifacts bucket and its metrics as EMF lines on stdout (CloudWatch Logs turns
# them into the CreditRisk/Monitoring metrics the alarms watch: no cloudwatch:PutMetricData).
locals {
  runner_name = "${var.name_prefix}-monitoring"
}

resource "aws_cloudwatch_log_group" "runner" {
  name              = "/aws/lambda/${local.runner_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_security_group" "runner" {
  name        = local.runner_name
  description = "Monitoring job Lambda: may reach only the feature store, VPC endpoints and S3"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.runner_name })
}

resource "aws_vpc_security_group_egress_rule" "runner_postgres" {
  security_group_id = aws_security_group.runner.id
  description       = "PostgreSQL to the feature store RDS Proxy inside the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}

resource "aws_vpc_security_group_egress_rule" "runner_endpoints" {
  security_group_id = aws_security_group.runner.id
  description       = "HTTPS to interface endpoints (Secrets Manager, CloudWatch Logs)"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "runner_s3" {
  security_group_id = aws_security_group.runner.id
  description       = "HTTPS to S3 through the gateway endpoint"
  prefix_list_id    = var.s3_prefix_list_id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_lambda_function" "runner" {
  #checkov:skip=CKV_AWS_272:Lambda code signing applies to .zip packages only; the container image is an immutable ECR tag scanned on push.
  function_name = local.runner_name
  description   = "Daily monitoring job: drift, skew, stability and staleness of the served model"
  role          = aws_iam_role.runner.arn
  package_type  = "Image"
  image_uri     = var.runner_image_uri
  architectures = ["x86_64"]
  # Memory buys CPU; risk-monitoring/README.md (Benchmarks) has the time and memory of a day's logs.
  memory_size = var.runner_memory_mb
  timeout     = var.runner_timeout_seconds

  # One run at a time: a retried or manual invocation never races the scheduled one.
  reserved_concurrent_executions = 1
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      MONITOR_METRIC_NAMESPACE = var.monitoring_namespace
      # Feature-store age: the job's own database role on the proxy, no password; with
      # MONITOR_STORE_AUTH=iam it mints an IAM token per connection (docs/database-access.md).
      MONITOR_ONLINE_STORE_URL = "postgresql+psycopg2://${var.store_user}@${var.store_proxy_endpoint}:${var.store_port}/${var.store_database}"
      MONITOR_STORE_AUTH       = "iam"
      # Key of the customer_ref pseudonym, to join delayed outcomes with the prediction log.
      CUSTOMER_REF_KEY_SECRET_ARN = var.customer_ref_key_secret_arn
    }
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.runner.id]
  }

  tracing_config {
    mode = "Active"
  }

  # Failed asynchronous (scheduled) invocations: the event lands on the alarm topic.
  dead_letter_config {
    target_arn = aws_sns_topic.this.arn
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.runner.name
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.runner]
}

resource "aws_lambda_function_event_invoke_config" "runner" {
  function_name = aws_lambda_function.runner.function_name
  # A failed run is reported, not retried: a rerun would publish the day's metrics twice.
  maximum_retry_attempts = 0

  destination_config {
    on_failure {
      destination = aws_sns_topic.this.arn
    }
  }
}
