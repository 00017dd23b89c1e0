# Glue reaches the feature store from inside the VPC through a NETWORK connection.
resource "aws_glue_connection" "this" {
  name            = "${local.job_name}-vpc"
  connection_type = "NETWORK"

  physical_connection_requirements {
    availability_zone      = var.availability_zone
    subnet_id              = var.subnet_id
    security_group_id_list = [aws_security_group.this.id]
  }

  tags = var.tags
}

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached through aws_glue_connection.physical_connection_requirements, which checkov does not follow.
  name        = local.job_name
  description = "Glue feature pipeline workers"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.job_name })
}

# Glue workers talk to each other on all ports; AWS requires this self-reference.
resource "aws_vpc_security_group_ingress_rule" "self" {
  #checkov:skip=CKV_AWS_24:Source is this security group itself (Glue workers), not 0.0.0.0/0; Glue requires all TCP ports between its workers.
  #checkov:skip=CKV_AWS_25:Source is this security group itself (Glue workers), not 0.0.0.0/0; Glue requires all TCP ports between its workers.
  #checkov:skip=CKV_AWS_260:Source is this security group itself (Glue workers), not 0.0.0.0/0; Glue requires all TCP ports between its workers.
  security_group_id            = aws_security_group.this.id
  description                  = "Glue worker-to-worker traffic (required by Glue)"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
}

resource "aws_vpc_security_group_egress_rule" "self" {
  security_group_id            = aws_security_group.this.id
  description                  = "Glue worker-to-worker traffic (required by Glue)"
  referenced_security_group_id = aws_security_group.this.id
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  security_group_id = aws_security_group.this.id
  description       = "PostgreSQL to the feature store RDS Proxy inside the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}

resource "aws_vpc_security_group_egress_rule" "endpoints" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to interface VPC endpoints (CloudWatch Logs and metrics)"
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
