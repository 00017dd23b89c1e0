# registry_access: how an operator reaches the private MLflow registry (and the feature store)
# without any public endpoint. A small host in the private subnets, with no inbound rule and no
# public address, runs only the SSM agent; an operator allowed by the `operator` policy opens an
# SSM port-forwarding session through it to the RDS Proxy, then runs `platform-status
# registry-ui --db-auth iam` (or `status`) on their own machine as the `mlflow` (or `monitoring`)
# role with an RDS IAM token (scripts/platform-status/README.md, "The registry UI in AWS").
data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  name       = "${var.name_prefix}-registry-access"
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # The one session document operators may start: port forwarding to a remote host, no shell.
  port_forwarding_document = "arn:${local.partition}:ssm:${local.region}::document/AWS-StartPortForwardingSessionToRemoteHost"
}

resource "aws_instance" "this" {
  count = var.create_host ? 1 : 0

  ami                         = var.ami
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_ids[0]
  vpc_security_group_ids      = [aws_security_group.this.id]
  iam_instance_profile        = aws_iam_instance_profile.this.name
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    encrypted   = true
    kms_key_id  = var.kms_key_arn
    volume_type = "gp3"
    volume_size = 8
  }

  tags = merge(var.tags, { Name = local.name })

  lifecycle {
    # The AMI is resolved from the public SSM parameter at launch; a newer image is taken by
    # replacing the host on purpose, not on every plan.
    ignore_changes = [ami]
  }
}
