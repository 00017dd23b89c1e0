variable "name_prefix" {
  description = "Prefix for every resource name, from the naming module (<project>-<market>-<environment>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-42 lowercase letters, digits or hyphens."
  }
}

variable "tags" {
  description = "Tags applied to every resource, from the naming module."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Platform KMS key (the master and service secrets, build logs and artifacts)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "master_secret_arn" {
  description = "Secret with the RDS master user's credentials (RDS-managed); only this role may read it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.master_secret_arn))
    error_message = "master_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "service_secret_arns" {
  description = "Secret of each service role (role => ARN) that db-bootstrap fills with {\"username\", \"password\"}."
  type        = map(string)

  validation {
    condition     = length(var.service_secret_arns) > 0 && alltrue([for arn in values(var.service_secret_arns) : can(regex("^arn:aws[a-z-]*:secretsmanager:", arn))])
    error_message = "service_secret_arns must map each role to a Secrets Manager secret ARN."
  }
}

variable "db_host" {
  description = "Address of the database instance (not the proxy: the master user is not behind it)."
  type        = string
}

variable "db_port" {
  description = "PostgreSQL port of the instance."
  type        = number
  default     = 5432
}

variable "db_security_group_id" {
  description = "Security group of the database instance (egress target; the instance admits this project's security group)."
  type        = string
}

variable "image_uri" {
  description = "Image with the db-bootstrap command (db-bootstrap) in the market's ECR: <repository url>:<tag>. The pipeline overrides it per build with the image it just built."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image URI with a tag or digest."
  }
}

variable "repository_arn" {
  description = "ECR repository of that image (pull permission scope)."
  type        = string
}

variable "buildspec" {
  description = "Buildspec (YAML text) of the project: ci/buildspecs/db-bootstrap.yml."
  type        = string

  validation {
    condition     = can(yamldecode(var.buildspec))
    error_message = "buildspec must be valid YAML."
  }
}

variable "timeout_minutes" {
  description = "Timeout of one db-bootstrap build."
  type        = number
  default     = 15

  validation {
    condition     = var.timeout_minutes >= 5 && var.timeout_minutes <= 60
    error_message = "timeout_minutes must be between 5 and 60."
  }
}

variable "vpc_id" {
  description = "VPC of the feature store."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of that VPC (HTTPS to the interface endpoints)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the builds run in."
  type        = list(string)
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint (egress rule)."
  type        = string
}

variable "create_project" {
  description = "Create the CodeBuild project. false only against an AWS emulator that rejects it (moto: no source location); the role and security group are created either way."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the build logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}
