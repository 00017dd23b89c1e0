# The providers mirrored into the CI tools image (ci/image/Dockerfile): the exact versions the
# infra roots and modules accept, so CI plans and tests without reaching a registry.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}
