terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Pinned: roots move provider versions deliberately, one market at a time.
      version = "= 5.100.0"
    }
  }
}
