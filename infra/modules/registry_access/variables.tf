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
  description = "Platform KMS key: the host's root volume, and the lake objects operators read."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "create_host" {
  description = "Create the host (false where there is no database to reach, e.g. the emulator root without its RDS instance). The security group and the policies are created either way."
  type        = bool
  default     = true
}

variable "ami" {
  description = "Image of the host: any image with the SSM agent. The default resolves the latest Amazon Linux 2023 (arm64) from its public SSM parameter at launch."
  type        = string
  default     = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
}

variable "instance_type" {
  description = "Instance type of the host (it only relays a TCP stream; arm64 to match the default image)."
  type        = string
  default     = "t4g.nano"
}

variable "vpc_id" {
  description = "VPC of the platform."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC (the interface endpoints the SSM agent talks to)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the platform; the host runs in the first."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids needs at least one private subnet."
  }
}

variable "proxy_security_group_id" {
  description = "Security group of the RDS Proxy (the host's only destination besides the endpoints). The proxy must admit this module's security_group_id."
  type        = string
}

variable "proxy_port" {
  description = "Port of the RDS Proxy."
  type        = number
  default     = 5432
}

variable "mlflow_db_user_arn" {
  description = "rds-db:connect resource of the mlflow role on the proxy (the registry UI)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:rds-db:[a-z0-9-]+:[0-9]{12}:dbuser:[^/]+/mlflow$", var.mlflow_db_user_arn))
    error_message = "mlflow_db_user_arn must be arn:<partition>:rds-db:<region>:<account>:dbuser:<proxy resource id>/mlflow."
  }
}

variable "monitoring_db_user_arn" {
  description = "rds-db:connect resource of the read-only monitoring role on the proxy (platform-status reads the store as it)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:rds-db:[a-z0-9-]+:[0-9]{12}:dbuser:[^/]+/monitoring$", var.monitoring_db_user_arn))
    error_message = "monitoring_db_user_arn must be arn:<partition>:rds-db:<region>:<account>:dbuser:<proxy resource id>/monitoring."
  }
}

variable "function_arn" {
  description = "Inference function (platform-status reads its alias and versions)."
  type        = string
}

variable "artifacts_bucket_arn" {
  description = "Artifacts bucket: bundles/<model>/champion.json and the monitoring reports."
  type        = string
}

variable "monitoring_reports_prefix" {
  description = "Key prefix of the monitoring job's reports in the artifacts bucket."
  type        = string
  default     = "monitoring/reports/"
}
