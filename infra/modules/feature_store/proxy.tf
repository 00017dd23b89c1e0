# RDS Proxy pools connections (thousands of short-lived Lambda invocations must not each open a
# PostgreSQL connection) and is the only way in for the services: TLS required, IAM
# authentication required, one auth entry per service role.
resource "aws_db_proxy" "this" {
  name                   = local.identifier
  engine_family          = "POSTGRESQL"
  role_arn               = aws_iam_role.proxy.arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [aws_security_group.proxy.id]
  require_tls            = true
  idle_client_timeout    = 1800

  dynamic "auth" {
    for_each = aws_secretsmanager_secret.service
    content {
      auth_scheme = "SECRETS"
      iam_auth    = "REQUIRED"
      secret_arn  = auth.value.arn
      description = "service role ${auth.key}"
    }
  }

  tags = var.tags
}

resource "aws_db_proxy_default_target_group" "this" {
  count = var.create_instance ? 1 : 0

  db_proxy_name = aws_db_proxy.this.name

  connection_pool_config {
    max_connections_percent      = 80
    max_idle_connections_percent = 40
    connection_borrow_timeout    = 120
  }
}

resource "aws_db_proxy_target" "this" {
  count = var.create_instance ? 1 : 0

  db_proxy_name          = aws_db_proxy.this.name
  target_group_name      = aws_db_proxy_default_target_group.this[0].name
  db_instance_identifier = aws_db_instance.this[0].identifier
}

locals {
  # prx-...: the resource id rds-db:connect policies name (last part of the proxy ARN).
  proxy_resource_id = element(split(":", aws_db_proxy.this.arn), length(split(":", aws_db_proxy.this.arn)) - 1)
  db_user_arns = {
    for role in var.service_roles :
    role => "arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${local.proxy_resource_id}/${role}"
  }
}
