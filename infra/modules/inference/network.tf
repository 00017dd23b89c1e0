resource "aws_security_group" "this" {
  name        = local.function_name
  description = "Inference Lambda: may reach only the feature store proxy, VPC endpoints and S3"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.function_name })
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  security_group_id = aws_security_group.this.id
  description       = "PostgreSQL to the RDS Proxy inside the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}

resource "aws_vpc_security_group_egress_rule" "endpoints" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to interface endpoints (Secrets Manager, CloudWatch)"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "s3" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to S3 through the gateway endpoint"
  prefix_list_id    = var.s3_prefix_list_id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
