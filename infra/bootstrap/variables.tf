variable "market" {
  description = "Market code, ISO 3166-1 alpha-2 in lower case (e.g. \"mx\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}$", var.market))
    error_message = "market must be a two-letter lower-case ISO 3166-1 country code, e.g. \"mx\"."
  }
}

variable "environment" {
  description = "Environment this account hosts: staging or prod (dev for throwaway stacks)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "aws_region" {
  description = "Region of the market (the state bucket lives there)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like mx-central-1."
  }
}

variable "project" {
  description = "Project slug: first part of every name (state bucket, roles the deploy role may manage)."
  type        = string
  default     = "credit-risk"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", var.project))
    error_message = "project must be 3-22 lowercase letters, digits or hyphens."
  }
}

variable "deploy_role_name" {
  description = "Name of the deploy role (delivery.terraform_deploy_role_arn of the market root)."
  type        = string
  default     = "credit-risk-terraform-deploy"
}

variable "administrator_role_arns" {
  description = "IAM roles of this account that may also assume the deploy role: who runs the first apply of the market root and break-glass changes (e.g. an SSO administrator role, wildcards allowed)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.administrator_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "administrator_role_arns must be IAM role ARNs."
  }
}

variable "platform_services" {
  description = "IAM service prefixes the platform's modules create resources in (the deploy role administers these)."
  type        = list(string)
  default = [
    "apigateway", "cloudwatch", "logs", "events", "codebuild", "codedeploy", "codepipeline",
    "codestar-connections", "codeconnections", "ec2", "ecr", "glue", "firehose", "kms", "lambda",
    "rds", "s3", "states", "sns", "sqs", "wafv2", "xray",
  ]
}

variable "create_source_connection" {
  description = "Create the connection to the Git host (false against emulators without CodeStar Connections)."
  type        = bool
  default     = true
}

variable "source_provider" {
  description = "Git host of the connection."
  type        = string
  default     = "GitHub"

  validation {
    condition     = contains(["GitHub", "GitHubEnterpriseServer", "GitLab", "Bitbucket"], var.source_provider)
    error_message = "source_provider must be GitHub, GitHubEnterpriseServer, GitLab or Bitbucket."
  }
}

variable "force_destroy" {
  description = "Allow destroying the state and log buckets with objects in them (emulator tests only; never for a real account)."
  type        = bool
  default     = false
}

variable "aws_endpoint_url" {
  description = "Endpoint of an AWS emulator for every service; empty = real AWS."
  type        = string
  default     = ""
}
