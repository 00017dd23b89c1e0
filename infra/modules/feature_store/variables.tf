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

variable "vpc_id" {
  description = "VPC the database lives in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (at least two AZs) for the database and the RDS Proxy."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must contain at least two private subnets in different AZs."
  }
}

variable "client_security_group_ids" {
  description = "Security groups of the services allowed to reach the RDS Proxy (name => SG id), e.g. the inference Lambda and the Glue job. Nothing else can connect to the proxy."
  type        = map(string)

  validation {
    condition     = length(var.client_security_group_ids) > 0
    error_message = "At least one client security group is required; otherwise the store is unreachable."
  }
}

variable "admin_security_group_ids" {
  description = "Security groups allowed to reach the database instance directly as the master user (name => SG id): only db-bootstrap."
  type        = map(string)
  default     = {}
}

variable "service_roles" {
  description = "PostgreSQL roles the services log in as (docs/database-access.md). Each gets an empty Secrets Manager secret (filled by db-bootstrap) and an IAM-authenticated auth entry on the proxy."
  type        = set(string)
  default     = ["feature_pipeline", "inference", "monitoring", "mlflow"]

  validation {
    condition     = length(var.service_roles) > 0 && alltrue([for r in var.service_roles : can(regex("^[a-z][a-z0-9_]{0,62}$", r))])
    error_message = "service_roles must be non-empty lowercase PostgreSQL identifiers."
  }
}

variable "create_instance" {
  description = "Create the RDS instance and the proxy's target. false only against an AWS emulator: the proxy, secrets, roles and security groups are still created, and a stand-in secret replaces the RDS-managed master secret."
  type        = bool
  default     = true
}

variable "port" {
  description = "PostgreSQL port of the instance and the proxy."
  type        = number
  default     = 5432

  validation {
    condition     = var.port >= 1150 && var.port <= 65535
    error_message = "port must be between 1150 and 65535 (RDS limits)."
  }
}

variable "secret_recovery_window_days" {
  description = "Recovery window of the service role secrets when they are deleted (0 = immediately; emulator tests only)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and the managed master-user secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "engine_version" {
  description = "PostgreSQL major.minor version."
  type        = string
  default     = "16.4"

  validation {
    condition     = can(regex("^1[4-7]\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be a PostgreSQL 14-17 major.minor version, e.g. 16.4."
  }
}

variable "parameter_group_family" {
  description = "DB parameter group family matching engine_version."
  type        = string
  default     = "postgres16"

  validation {
    condition     = can(regex("^postgres1[4-7]$", var.parameter_group_family))
    error_message = "parameter_group_family must be postgres14..postgres17."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.<family>.<size>, e.g. db.t4g.medium."
  }
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be between 20 and 65536."
  }
}

variable "max_allocated_storage_gb" {
  description = "Upper bound for storage autoscaling in GiB (must be >= allocated_storage_gb)."
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage_gb >= 20 && var.max_allocated_storage_gb <= 65536
    error_message = "max_allocated_storage_gb must be between 20 and 65536."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in a second AZ."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Automated backup retention."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35 (0 would disable backups)."
  }
}

variable "deletion_protection" {
  description = "Refuse deletion of the database (and take a final snapshot when it is deleted)."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "Database created with the instance; it holds the customer_features table."
  type        = string
  default     = "features"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lowercase PostgreSQL identifier."
  }
}

variable "master_username" {
  description = "Master user name; its password is generated and rotated by RDS in Secrets Manager."
  type        = string
  default     = "feature_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin"], var.master_username)
    error_message = "master_username must be a lowercase identifier of at most 16 characters and not a reserved name."
  }
}

variable "monitoring_interval_seconds" {
  description = "Enhanced Monitoring interval."
  type        = number
  default     = 60

  validation {
    condition     = contains([1, 5, 10, 15, 30, 60], var.monitoring_interval_seconds)
    error_message = "monitoring_interval_seconds must be one of 1, 5, 10, 15, 30, 60."
  }
}

variable "log_retention_days" {
  description = "Retention of exported PostgreSQL logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}
