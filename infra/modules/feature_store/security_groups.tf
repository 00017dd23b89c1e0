# Two hops, each allowed only from the hop before it:
# service SGs -> proxy SG -> database SG; plus db-bootstrap (master user) -> database SG.
resource "aws_security_group" "proxy" {
  #checkov:skip=CKV2_AWS_5:Attached to aws_db_proxy.this (vpc_security_group_ids), which checkov does not follow.
  name        = "${local.identifier}-proxy"
  description = "RDS Proxy for the feature store; reachable only from the platform's services"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${local.identifier}-proxy" })
}

resource "aws_vpc_security_group_ingress_rule" "proxy_from_clients" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.proxy.id
  description                  = "PostgreSQL from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_db" {
  security_group_id            = aws_security_group.proxy.id
  description                  = "PostgreSQL to the feature store instance"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached to aws_db_instance.this (vpc_security_group_ids), which is counted (create_instance) and therefore not followed by checkov.
  name        = local.identifier
  description = "Feature store PostgreSQL; reachable only from its RDS Proxy and db-bootstrap"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.identifier })
}

resource "aws_vpc_security_group_ingress_rule" "db_from_proxy" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from the RDS Proxy"
  referenced_security_group_id = aws_security_group.proxy.id
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

# The master user is not behind the proxy: db-bootstrap connects to the instance itself.
resource "aws_vpc_security_group_ingress_rule" "db_from_admins" {
  for_each = var.admin_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ${each.key} (master user)"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}
