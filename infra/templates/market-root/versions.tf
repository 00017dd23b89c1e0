terraform {
  # >= 1.11: the platform writes the customer_ref key write-only (never in state or plan).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Pinned: roots move provider versions deliberately, one market at a time.
      version = "= 5.100.0"
    }
  }
}
