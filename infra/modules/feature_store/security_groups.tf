# Two hops, each allowed only from the hop before it:
# client service SGs -> proxy SG -> database SG.
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
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_db" {
  security_group_id            = aws_security_group.proxy.id
  description                  = "PostgreSQL to the feature store instance"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_security_group" "this" {
  name        = local.identifier
  description = "Feature store PostgreSQL; reachable only from its RDS Proxy and the platform's services"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.identifier })
}

resource "aws_vpc_security_group_ingress_rule" "db_from_proxy" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from the RDS Proxy"
  referenced_security_group_id = aws_security_group.proxy.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

# Batch writers (the Glue job) connect directly: bulk upserts gain nothing from pooling.
resource "aws_vpc_security_group_ingress_rule" "db_from_clients" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}
