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

variable "vpc_cidr" {
  description = "CIDR block of the market VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid IPv4 CIDR of /20 or larger."
  }
}

variable "availability_zones" {
  description = "Availability zones for the private subnets (at least two, for RDS Multi-AZ and Lambda resilience)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting the flow-log log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the VPC flow logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface VPC endpoints from the private subnets (there is no NAT): Secrets Manager (customer_ref key, db-bootstrap), CloudWatch Logs and metrics, ECR for the CodeBuild builds that run in the VPC from ECR images (training, db-bootstrap), and Systems Manager for the registry access host's port-forwarding sessions (ssm, ssmmessages, ec2messages)."
  type        = list(string)
  default     = ["secretsmanager", "logs", "monitoring", "ecr.api", "ecr.dkr", "ssm", "ssmmessages", "ec2messages"]
}

variable "s3_bucket_arns" {
  description = "Buckets the workloads in the VPC may reach through the S3 gateway endpoint (the platform's data buckets); every other bucket is refused by the endpoint policy, except ECR's image-layer bucket."
  type        = list(string)

  validation {
    condition     = length(var.s3_bucket_arns) > 0 && alltrue([for arn in var.s3_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", arn))])
    error_message = "s3_bucket_arns must list at least one bucket ARN (arn:aws:s3:::<bucket>, no wildcards or keys)."
  }
}
