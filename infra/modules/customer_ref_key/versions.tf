terraform {
  # Write-only secret_string_wo (the key never enters the state) needs Terraform >= 1.11.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.90.0, < 6.0.0"
    }
  }
}
