# CI/CD for one market/environment: CodeBuild projects (buildspecs in ci/buildspecs/) and a
# CodePipeline: source -> tests -> images + Glue script -> infra plan -> [manual approval]
# -> infra apply -> canary deploy of the inference function.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  root_dir   = "infra/live/${var.market}/${var.environment}"
  log_group  = "/aws/codebuild/${var.name_prefix}-ci"

  training_project_name = "${var.name_prefix}-training"
  pipeline_name         = "${var.name_prefix}-release"
  pipeline_arn          = "arn:${local.partition}:codepipeline:${local.region}:${local.account_id}:${local.pipeline_name}"
  project_arn_prefix    = "arn:${local.partition}:codebuild:${local.region}:${local.account_id}:project"

  # kind decides the IAM role; privileged only where Docker runs.
  projects = merge(
    {
      for s in var.services : "test-${s}" => {
        description = "Lint and test ${s}"
        buildspec   = "ci/buildspecs/test-service.yml"
        kind        = "test"
        privileged  = false
        env         = { SERVICE_DIR = s }
      }
    },
    {
      for name, repo in var.image_repositories : "image-${name}" => {
        description = "Build and push the ${name} image"
        buildspec   = "ci/buildspecs/build-image.yml"
        kind        = "image"
        privileged  = true
        env = {
          IMAGE_NAME     = name
          IMAGE_REPO_URL = repo.url
          IMAGE_CONTEXT  = repo.context
          BUILD_CONTEXT  = repo.build_context
          # Only the inference image bakes in the champion bundle.
          BUNDLE_S3_URI = name == "inference" ? "s3://${var.artifacts_bucket_name}/models/champion/bundle/" : ""
        }
      }
    },
    {
      "glue-script" = {
        description = "Upload the Glue entry script, the feature_pipeline package and its dependency wheels"
        buildspec   = "ci/buildspecs/upload-glue-script.yml"
        kind        = "glue"
        privileged  = false
        env         = { GLUE_S3_PREFIX = "s3://${var.artifacts_bucket_name}/glue/feature_pipeline/" }
      }
      "infra-plan" = {
        description = "terraform fmt/validate, checkov, saved plan for ${local.root_dir}"
        buildspec   = "ci/buildspecs/infra-plan.yml"
        kind        = "infra"
        privileged  = false
        env         = { TF_ROOT = local.root_dir, TF_DEPLOY_ROLE_ARN = var.terraform_deploy_role_arn }
      }
      "infra-apply" = {
        description = "terraform apply of the approved saved plan for ${local.root_dir}"
        buildspec   = "ci/buildspecs/infra-apply.yml"
        kind        = "infra"
        privileged  = false
        env = {
          TF_ROOT              = local.root_dir
          TF_DEPLOY_ROLE_ARN   = var.terraform_deploy_role_arn
          DB_BOOTSTRAP_PROJECT = var.db_bootstrap_project_name
        }
      }
      "deploy-inference" = {
        description = "Publish the new inference image as a version and shift the live alias with a CodeDeploy canary"
        buildspec   = "ci/buildspecs/deploy-inference.yml"
        kind        = "deploy"
        privileged  = false
        env = {
          FUNCTION_NAME    = var.function_name
          CODEDEPLOY_APP   = var.codedeploy_app_name
          CODEDEPLOY_GROUP = var.codedeploy_deployment_group_name
        }
      }
    },
  )

  role_arns = {
    test   = aws_iam_role.codebuild["test"].arn
    image  = aws_iam_role.codebuild["image"].arn
    glue   = aws_iam_role.codebuild["glue"].arn
    infra  = aws_iam_role.codebuild["infra"].arn
    deploy = aws_iam_role.codebuild["deploy"].arn
  }
}

resource "aws_codebuild_project" "this" {
  for_each = var.create_projects ? local.projects : {}

  #checkov:skip=CKV_AWS_316:Only the image-* projects are privileged (Docker-in-Docker needs it to build images); all other projects set privileged_mode = false.
  name           = "${var.name_prefix}-${each.key}"
  description    = each.value.description
  service_role   = local.role_arns[each.value.kind]
  build_timeout  = 60
  encryption_key = var.kms_key_arn

  source {
    type      = "CODEPIPELINE"
    buildspec = each.value.buildspec
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    compute_type    = var.build_compute_type
    image           = var.build_image
    type            = "LINUX_CONTAINER"
    privileged_mode = each.value.privileged

    environment_variable {
      name  = "MARKET"
      value = var.market
    }

    environment_variable {
      name  = "ENVIRONMENT"
      value = var.environment
    }

    dynamic "environment_variable" {
      for_each = each.value.env
      content {
        name  = environment_variable.key
        value = environment_variable.value
      }
    }
  }

  logs_config {
    cloudwatch_logs {
      group_name  = aws_cloudwatch_log_group.this.name
      stream_name = each.key
      status      = "ENABLED"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}
