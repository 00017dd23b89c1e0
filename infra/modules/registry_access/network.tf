resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached to aws_instance.this, which is counted (create_host) and therefore not followed by checkov.
  name        = local.name
  description = "Registry access host: no inbound; PostgreSQL to the RDS Proxy, HTTPS to the SSM endpoints"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.name })
}

resource "aws_vpc_security_group_egress_rule" "proxy" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL to the RDS Proxy (the forwarded port)"
  referenced_security_group_id = var.proxy_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.proxy_port
  to_port                      = var.proxy_port
}

resource "aws_vpc_security_group_egress_rule" "endpoints" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to the interface VPC endpoints (ssm, ssmmessages, ec2messages)"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
