# The training and register steps run in the training image (model-training installed) as a
# CodeBuild build: no source checkout, the buildspec comes from ci/buildspecs/train.yml.
resource "aws_codebuild_project" "training" {
  count = var.create_projects ? 1 : 0

  name           = local.training_project_name
  description    = "Train, evaluate and gate a candidate; register it as champion when asked"
  service_role   = aws_iam_role.training.arn
  build_timeout  = var.training_timeout_minutes
  encryption_key = var.kms_key_arn

  source {
    type      = "NO_SOURCE"
    buildspec = var.training_buildspec
  }

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    compute_type                = var.training_compute_type
    image                       = var.training_image_uri
    type                        = "LINUX_CONTAINER"
    image_pull_credentials_type = "SERVICE_ROLE"
    privileged_mode             = false

    environment_variable {
      name  = "FEATURES_URI"
      value = "s3://${var.features_bucket_name}/${var.features_prefix}"
    }

    environment_variable {
      name  = "ARTIFACTS_URI"
      value = "s3://${var.artifacts_bucket_name}/models/"
    }

    environment_variable {
      name  = "RAW_URI"
      value = "s3://${var.raw_bucket_name}/${var.raw_object_key}"
    }

    # MLflow's backend store: the mlflow role on the proxy, no password; with
    # MODEL_TRAINING_DB_AUTH=iam model-training mints an IAM token per connection.
    environment_variable {
      name  = "MLFLOW_TRACKING_URI"
      value = var.mlflow_tracking_uri
    }

    environment_variable {
      name  = "MODEL_TRAINING_DB_AUTH"
      value = "iam"
    }

    dynamic "environment_variable" {
      for_each = var.training_environment
      content {
        name  = environment_variable.key
        value = environment_variable.value
      }
    }
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.subnet_ids
    security_group_ids = [aws_security_group.training.id]
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.training.name
      status     = "ENABLED"
    }
  }

  tags = var.tags
}

locals {
  training_project_arn = "${local.project_arn_prefix}/${local.training_project_name}"
}

resource "aws_cloudwatch_log_group" "training" {
  name              = "/aws/codebuild/${local.training_project_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_security_group" "training" {
  name        = local.training_project_name
  description = "Training builds: PostgreSQL and HTTPS inside the VPC, S3 through the gateway endpoint"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.training_project_name })
}

resource "aws_vpc_security_group_egress_rule" "training_postgres" {
  security_group_id = aws_security_group.training.id
  description       = "PostgreSQL (MLflow backend store) to the RDS Proxy inside the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}

resource "aws_vpc_security_group_egress_rule" "training_endpoints" {
  security_group_id = aws_security_group.training.id
  description       = "HTTPS to interface VPC endpoints"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "training_s3" {
  security_group_id = aws_security_group.training.id
  description       = "HTTPS to S3 through the gateway endpoint"
  prefix_list_id    = var.s3_prefix_list_id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
