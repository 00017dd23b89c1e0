# CI/CD for one market/environment: CodeBuild projects (buildspecs in ci/buildspecs/) and a
# CodePipeline. Build mode: Git source -> every test suite -> images, Glue script, release hook
# -> infra plan -> [manual approval] -> infra apply -> CodeDeploy release of the inference image
# -> [publish the release for the next environment]. Promotion mode (release_source set): the
# release archive another environment published -> Glue script, release hook -> plan ->
# [approval] -> apply -> CodeDeploy release of exactly that image digest.
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

  promote_mode     = var.release_source != null
  bundle_pointer   = "s3://${var.artifacts_bucket_name}/bundles/${var.bundle_model_name}/champion.json"
  hook_key_prefix  = "lambda/release-hooks/"
  ci_tools_image   = coalesce(var.ci_tools_image_uri, var.build_image)
  deploy_env_hooks = coalesce(var.pre_traffic_hook_function_name, "none")

  # kind decides the IAM role; privileged only where Docker runs. In promotion mode nothing is
  # tested or built: the release archive was tested and built where it passed before.
  projects = merge(
    {
      for s in var.test_suites : "test-${replace(s, "/", "-")}" => {
        description = "Lint and test ${s}"
        buildspec   = "ci/buildspecs/test-suite.yml"
        kind        = "test"
        privileged  = false
        env         = { SUITE = s }
      } if !local.promote_mode
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
          # Only the inference image bakes in a bundle: the champion, or the candidate the
          # retraining flow names with the pipeline variable BUNDLE_PREFIX.
          BUNDLE_POINTER = name == "inference" ? local.bundle_pointer : ""
        }
      } if !local.promote_mode
    },
    {
      "glue-script" = {
        description = "Upload the Glue entry script, the feature_pipeline package and its dependency wheels"
        buildspec   = "ci/buildspecs/upload-glue-script.yml"
        kind        = "glue"
        privileged  = false
        env         = { GLUE_S3_PREFIX = "s3://${var.artifacts_bucket_name}/glue/feature_pipeline/" }
      }
      "release-hook" = {
        description = "Upload the CodeDeploy pre-traffic hook zip under its content hash"
        buildspec   = "ci/buildspecs/upload-release-hook.yml"
        kind        = "glue"
        privileged  = false
        env         = { HOOK_S3_PREFIX = "s3://${var.artifacts_bucket_name}/${local.hook_key_prefix}" }
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
        description = "Release the inference image through CodeDeploy (pre-traffic hook, canary on the per-version alarms) and wait for the outcome"
        buildspec   = "ci/buildspecs/deploy-inference.yml"
        kind        = "deploy"
        privileged  = false
        env = merge(
          {
            FUNCTION_NAME          = var.function_name
            CODEDEPLOY_APP         = var.codedeploy_app_name
            CODEDEPLOY_GROUP       = var.codedeploy_deployment_group_name
            PRE_TRAFFIC_HOOK       = local.deploy_env_hooks
            CANARY_TIMEOUT_SECONDS = tostring(var.canary_timeout_minutes * 60)
          },
          { for key, value in { RELEASE_MANIFEST = "release-manifest.json" } : key => value if local.promote_mode },
        )
      }
    },
    {
      for key, project in {
        "publish-release" = {
          description = "Write the release manifest and publish the release archive for the next environment"
          buildspec   = "ci/buildspecs/publish-release.yml"
          kind        = "deploy"
          privileged  = false
          env = {
            FUNCTION_NAME       = var.function_name
            CODEDEPLOY_APP      = var.codedeploy_app_name
            CODEDEPLOY_GROUP    = var.codedeploy_deployment_group_name
            RELEASE_PUBLISH_URI = var.release_publish == null ? "" : "s3://${var.release_publish.bucket}/${var.release_publish.key}"
          }
        }
    } : key => project if var.release_publish != null && !local.promote_mode },
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
  build_timeout  = each.key == "deploy-inference" ? var.canary_timeout_minutes + 15 : 60
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
    type            = "LINUX_CONTAINER"
    privileged_mode = each.value.privileged
    # Docker builds run in the managed image; everything else in the CI tools image (ci/image).
    image                       = each.value.kind == "image" ? var.build_image : local.ci_tools_image
    image_pull_credentials_type = each.value.kind != "image" && var.ci_tools_image_uri != null ? "SERVICE_ROLE" : "CODEBUILD"

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
