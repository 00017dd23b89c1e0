terraform {
  # >= 1.11: the customer_ref key is written write-only (never in state or plan).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.90.0, < 6.0.0"
    }
  }
}
