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

variable "market" {
  description = "Market code (selects infra/live/<market>/<environment>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}$", var.market))
    error_message = "market must be a two-letter lower-case ISO 3166-1 country code, e.g. \"mx\"."
  }
}

variable "environment" {
  description = "Environment this pipeline deploys."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "kms_key_arn" {
  description = "Platform KMS key (pipeline artifacts, build outputs)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "source_connection_arn" {
  description = "CodeStar/CodeConnections connection to the Git host (created and authorised once by hand)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:(codestar-connections|codeconnections):", var.source_connection_arn))
    error_message = "source_connection_arn must be a CodeStar connections / CodeConnections ARN."
  }
}

variable "repository_id" {
  description = "Repository as owner/name on the Git host."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.repository_id))
    error_message = "repository_id must look like owner/name."
  }
}

variable "branch" {
  description = "Branch whose commits run the pipeline."
  type        = string
  default     = "main"
}

variable "artifacts_bucket_name" {
  description = "Data lake artifacts bucket: pipeline artifacts, serving bundles (bundles/), Glue scripts (glue/), the release hook zip (lambda/release-hooks/)."
  type        = string
}

variable "test_suites" {
  description = "Test suites the pipeline runs, one CodeBuild action each, before any image is built: every suite of scripts/dev/run_suites.py (`make test`), infra and e2e included."
  type        = set(string)
  default = [
    "infra",
    "e2e",
    "feature-pipeline",
    "model-training",
    "risk-monitoring",
    "inference-service",
    "scripts/release-tool",
    "scripts/platform-status",
    "scripts/platform-testkit",
    "db-bootstrap",
    "scripts/loan-generator",
  ]

  validation {
    condition     = length(var.test_suites) > 0 && alltrue([for s in var.test_suites : can(regex("^[a-z][a-z0-9-]+(/[a-z][a-z0-9-]+)?$", s))])
    error_message = "test_suites must be non-empty folder paths (e.g. inference-service, scripts/release-tool)."
  }
}

variable "image_repositories" {
  description = "Images built by the pipeline: short name => { url, arn, context, build_context } (context = service folder with the Dockerfile; build_context = docker build context, as that Dockerfile expects)."
  type = map(object({
    url           = string
    arn           = string
    context       = string
    build_context = string
  }))
}

variable "terraform_state_bucket" {
  description = "S3 bucket holding this root's Terraform state (infra plan/apply builds)."
  type        = string
}

variable "terraform_deploy_role_arn" {
  description = "Role in the target account the infra builds assume to plan/apply (its permissions are managed by the account baseline)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.terraform_deploy_role_arn))
    error_message = "terraform_deploy_role_arn must be an IAM role ARN."
  }
}

variable "require_manual_approval" {
  description = "Insert a manual approval between the infra plan and apply/deploy (true for prod)."
  type        = bool
  default     = true
}

variable "approval_topic_arn" {
  description = "SNS topic notified when an approval is waiting."
  type        = string
}

variable "function_name" {
  description = "Inference Lambda function updated by the deploy step."
  type        = string
}

variable "function_arn" {
  description = "ARN of that function."
  type        = string
}

variable "codedeploy_app_name" {
  description = "CodeDeploy application of the inference function."
  type        = string
}

variable "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group shifting the live alias."
  type        = string
}

variable "pre_traffic_hook_function_name" {
  description = "CodeDeploy BeforeAllowTraffic hook function of the inference module (null: releases run without a pre-traffic check, with a warning)."
  type        = string
  default     = null
}

variable "canary_timeout_minutes" {
  description = "How long the deploy step waits for CodeDeploy to finish the canary (hook + bake + shift) before failing the run; CodeDeploy carries on regardless."
  type        = number
  default     = 45

  validation {
    condition     = var.canary_timeout_minutes >= 10 && var.canary_timeout_minutes <= 120
    error_message = "canary_timeout_minutes must be between 10 and 120 (the deploy build's timeout is derived from it)."
  }
}

variable "bundle_model_name" {
  description = "Registered model whose bundles the inference image bakes in (s3://<artifacts>/bundles/<model>/champion.json)."
  type        = string
  default     = "credit-risk"
}

variable "ci_tools_image_uri" {
  description = "CI tools image (ci/image/Dockerfile: pinned terraform and provider mirror, PostgreSQL, Java, Node) the test, infra and deploy projects run in; null keeps build_image, where ci/scripts/check-terraform.sh fails the infra builds."
  type        = string
  default     = null

  validation {
    condition     = var.ci_tools_image_uri == null || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.ci_tools_image_uri))
    error_message = "ci_tools_image_uri must be an ECR image URI with a tag or digest."
  }
}

variable "ci_tools_repository_arn" {
  description = "ECR repository of the CI tools image (pull permission of the CI roles); required with ci_tools_image_uri."
  type        = string
  default     = null
}

variable "notification_topic_arn" {
  description = "SNS topic told about failed pipeline executions, builds and CodeDeploy deployments (default: approval_topic_arn, the platform's topic)."
  type        = string
  default     = null
}

variable "release_source" {
  description = "Promotion mode (prod): the S3 object holding the release archive another environment published (source tree + release-manifest.json). The pipeline then tests and builds nothing: it plans, applies and deploys exactly that release. null: build from the Git branch."
  type = object({
    bucket = string
    key    = string
  })
  default = null
}

variable "release_publish" {
  description = "Where this environment publishes the release archive after its canary passed (staging: the object prod's release_source names). null: publish nothing."
  type = object({
    bucket = string
    key    = string
  })
  default = null

  validation {
    condition     = var.release_publish == null || can(regex("\\.zip$", var.release_publish.key))
    error_message = "release_publish.key must name a .zip object."
  }
}

variable "build_compute_type" {
  description = "CodeBuild compute type of the CI projects."
  type        = string
  default     = "BUILD_GENERAL1_SMALL"

  validation {
    condition     = contains(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"], var.build_compute_type)
    error_message = "build_compute_type must be BUILD_GENERAL1_SMALL, _MEDIUM or _LARGE."
  }
}

variable "build_image" {
  description = "CodeBuild managed image of the image-build projects (Docker); also of every project while ci_tools_image_uri is null."
  type        = string
  default     = "aws/codebuild/standard:7.0"
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

variable "training_image_uri" {
  description = "ECR image with the model-training package the training/register steps run in."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$", var.training_image_uri))
    error_message = "training_image_uri must be an ECR image URI with a tag or digest."
  }
}

variable "training_repository_arn" {
  description = "ECR repository of the training image (pull permission scope)."
  type        = string
}

variable "training_buildspec" {
  description = "Buildspec (YAML text) of the training project: ci/buildspecs/train.yml, read by the root."
  type        = string

  validation {
    condition     = can(yamldecode(var.training_buildspec))
    error_message = "training_buildspec must be valid YAML."
  }
}

variable "training_compute_type" {
  description = "CodeBuild compute type for training."
  type        = string
  default     = "BUILD_GENERAL1_MEDIUM"

  validation {
    condition     = contains(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"], var.training_compute_type)
    error_message = "training_compute_type must be a BUILD_GENERAL1_* CodeBuild compute type."
  }
}

variable "training_timeout_minutes" {
  description = "Timeout of one training build."
  type        = number
  default     = 120

  validation {
    condition     = var.training_timeout_minutes >= 5 && var.training_timeout_minutes <= 2160
    error_message = "training_timeout_minutes must be between 5 and 2160."
  }
}

variable "training_environment" {
  description = "The market's training settings as environment variables of the training build (gate thresholds, search budget; names in model-training/README.md)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.training_environment) : can(regex("^[A-Z][A-Z0-9_]*$", k))])
    error_message = "training_environment keys must be environment variable names (upper case, digits, underscores)."
  }

  validation {
    condition     = length(setintersection(keys(var.training_environment), ["FEATURES_URI", "ARTIFACTS_URI", "RAW_URI", "MLFLOW_TRACKING_URI", "MODEL_TRAINING_DB_AUTH", "TRAINING_STAGE", "MODEL_VERSION", "GATE_PASSED"])) == 0
    error_message = "training_environment must not set the variables the platform wires (FEATURES_URI, ARTIFACTS_URI, RAW_URI, MLFLOW_TRACKING_URI, MODEL_TRAINING_DB_AUTH) or those the retraining flow passes (TRAINING_STAGE, MODEL_VERSION, GATE_PASSED)."
  }
}

variable "features_bucket_name" {
  description = "Bucket with the feature pipeline output the training reads."
  type        = string
}

variable "features_prefix" {
  description = "Prefix of the feature pipeline's output root in that bucket (run=<id>/ prefixes and _LATEST)."
  type        = string
  default     = "features/"
}

variable "mlflow_tracking_uri" {
  description = "MLflow backend store URL: postgresql+psycopg2://mlflow@<proxy endpoint>:<port>/mlflow, the role and no password (IAM authentication)."
  type        = string

  validation {
    condition     = can(regex("^postgresql(\\+psycopg2)?://[^:@/]+@[^@/]+/[A-Za-z0-9_]+(\\?.*)?$", var.mlflow_tracking_uri))
    error_message = "mlflow_tracking_uri must be postgresql[+psycopg2]://<role>@<host>[:port]/<database>[?params] with no password."
  }
}

variable "mlflow_db_user_arn" {
  description = "rds-db:connect resource of the mlflow role on the proxy (arn:...:dbuser:<proxy resource id>/mlflow)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:rds-db:[a-z0-9-]+:[0-9]{12}:dbuser:[^/]+/[a-z_][a-z0-9_]*$", var.mlflow_db_user_arn))
    error_message = "mlflow_db_user_arn must be arn:<partition>:rds-db:<region>:<account>:dbuser:<proxy resource id>/<role>."
  }
}

variable "db_bootstrap_project_name" {
  description = "CodeBuild project running db-bootstrap; the infra-apply build starts it after terraform apply."
  type        = string
}

variable "create_projects" {
  description = "Create the CodeBuild projects and the pipeline. false only against an AWS emulator that rejects them (moto: projects without a source location); the roles are created either way."
  type        = bool
  default     = true
}

variable "raw_bucket_name" {
  description = "Bucket with the raw loans CSV (read by training for gender / income-type slice metrics)."
  type        = string
}

variable "raw_object_key" {
  description = "S3 key of the raw loans CSV in the raw bucket (the object the feature pipeline reads)."
  type        = string
  default     = "loans/loans.csv"

  validation {
    condition     = can(regex("^[^/].*[^/]$", var.raw_object_key))
    error_message = "raw_object_key must be an object key (no leading or trailing /), e.g. loans/loans.csv."
  }
}

variable "vpc_id" {
  description = "VPC the training build runs in (to reach PostgreSQL)."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of that VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the training build."
  type        = list(string)
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint (egress rule)."
  type        = string
}
