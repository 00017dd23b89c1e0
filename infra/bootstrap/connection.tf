# The release pipeline's source. Created PENDING: a person completes the OAuth handshake once in
# the console (Developer Tools > Settings > Connections); its ARN goes into terraform.tfvars
# (delivery.source_connection_arn).
resource "aws_codestarconnections_connection" "source" {
  count = var.create_source_connection ? 1 : 0

  name          = substr("${local.name_prefix}-source", 0, 32)
  provider_type = var.source_provider

  tags = local.tags
}
