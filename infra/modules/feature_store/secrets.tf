# One secret per service role. Terraform creates them empty; db-bootstrap sets each role's
# password in PostgreSQL and writes {"username": "<role>", "password": "..."} into its secret.
# Only the RDS Proxy reads them (to log in to PostgreSQL on a client's behalf): the clients
# themselves authenticate to the proxy with IAM tokens and never see a password.
resource "aws_secretsmanager_secret" "service" {
  #checkov:skip=CKV2_AWS_57:Rotated by re-running db-bootstrap (it sets a new password and writes it here); no client holds the password (IAM auth to the proxy), so no rotation Lambda is needed.
  for_each = var.service_roles

  name                    = "${var.name_prefix}/feature-store/${each.key}"
  description             = "PostgreSQL credentials of the ${each.key} role (written by db-bootstrap, read by the RDS Proxy)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days

  tags = merge(var.tags, { DatabaseRole = each.key })
}
