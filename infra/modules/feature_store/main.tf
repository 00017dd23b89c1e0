# Online feature store: PostgreSQL holding the `customer_features` table (docs/contracts) and the
# MLflow backend database, reached by every service through the RDS Proxy with IAM
# authentication (one database role per service). Only db-bootstrap reaches the instance directly,
# as the master user, to create those roles.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  identifier = "${var.name_prefix}-features"
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  master_user_secret_arn = var.create_instance ? aws_db_instance.this[0].master_user_secret[0].secret_arn : aws_secretsmanager_secret.master_standin[0].arn
}

resource "aws_db_subnet_group" "this" {
  name       = local.identifier
  subnet_ids = var.subnet_ids

  tags = var.tags
}

resource "aws_db_parameter_group" "this" {
  count = var.create_instance ? 1 : 0

  name   = local.identifier
  family = var.parameter_group_family

  # Refuse unencrypted client connections.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Keep an audit trail of schema changes and slow queries.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  tags = var.tags
}

resource "aws_db_instance" "this" {
  count = var.create_instance ? 1 : 0

  identifier     = local.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  db_name                       = var.database_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  parameter_group_name   = aws_db_parameter_group.this[0].name
  publicly_accessible    = false
  port                   = var.port

  multi_az                  = var.multi_az
  backup_retention_period   = var.backup_retention_days
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !var.deletion_protection
  final_snapshot_identifier = var.deletion_protection ? "${local.identifier}-final" : null

  # Lets db-bootstrap GRANT rds_iam; clients still reach the database only through the proxy.
  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  ca_cert_identifier                  = "rds-ca-rsa2048-g1"
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]

  monitoring_interval                   = var.monitoring_interval_seconds
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7

  tags = merge(var.tags, { Name = local.identifier })

  depends_on = [aws_cloudwatch_log_group.this]
}

# Created ahead of the instance so retention and encryption apply from the first log line.
resource "aws_cloudwatch_log_group" "this" {
  for_each = var.create_instance ? toset(["postgresql", "upgrade"]) : toset([])

  name              = "/aws/rds/instance/${local.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

# Emulator only (create_instance = false): stands in for the RDS-managed master secret so that
# db-bootstrap's role and permissions exist exactly as in AWS.
resource "aws_secretsmanager_secret" "master_standin" {
  #checkov:skip=CKV2_AWS_57:Emulator-only stand-in (create_instance = false); in AWS the master secret is managed and rotated by RDS.
  count = var.create_instance ? 0 : 1

  name                    = "${var.name_prefix}/feature-store/master-standin"
  description             = "Emulator stand-in for the RDS-managed master user secret"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 0

  tags = var.tags
}
