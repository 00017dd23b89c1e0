# One release at a time (QUEUED): a queued run builds from the champion the run before it may
# have promoted, and two runs never move the alias at once.
resource "aws_codepipeline" "this" {
  count = var.create_projects ? 1 : 0

  name           = local.pipeline_name
  role_arn       = aws_iam_role.pipeline.arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED"

  artifact_store {
    type     = "S3"
    location = var.artifacts_bucket_name

    encryption_key {
      id   = var.kms_key_arn
      type = "KMS"
    }
  }

  # Set by the retraining state machine to release the candidate it published; a run started by
  # a push bakes in the champion.
  variable {
    name          = "BUNDLE_PREFIX"
    default_value = "champion"
    description   = "s3://<artifacts>/bundles/<model>/v<version>-<sha12>/ to release, or champion"
  }

  dynamic "stage" {
    for_each = local.promote_mode ? [] : [1]
    content {
      name = "Source"

      action {
        name             = "Source"
        category         = "Source"
        owner            = "AWS"
        provider         = "CodeStarSourceConnection"
        version          = "1"
        output_artifacts = ["source"]
        namespace        = "SourceVariables"

        configuration = {
          ConnectionArn        = var.source_connection_arn
          FullRepositoryId     = var.repository_id
          BranchName           = var.branch
          OutputArtifactFormat = "CODE_ZIP"
        }
      }
    }
  }

  # Promotion: the source is the release archive (tested source + release-manifest.json) the
  # environment before published after its canary passed; a new archive starts this pipeline.
  dynamic "stage" {
    for_each = local.promote_mode ? [var.release_source] : []
    content {
      name = "Source"

      action {
        name             = "Release"
        category         = "Source"
        owner            = "AWS"
        provider         = "S3"
        version          = "1"
        output_artifacts = ["source"]

        configuration = {
          S3Bucket             = stage.value.bucket
          S3ObjectKey          = stage.value.key
          PollForSourceChanges = "true"
        }
      }
    }
  }

  # Every suite that ships, in parallel, before anything is built.
  dynamic "stage" {
    for_each = local.promote_mode ? [] : [1]
    content {
      name = "Test"

      dynamic "action" {
        for_each = var.test_suites
        content {
          name            = "test-${replace(action.value, "/", "-")}"
          category        = "Test"
          owner           = "AWS"
          provider        = "CodeBuild"
          version         = "1"
          input_artifacts = ["source"]
          run_order       = 1

          configuration = {
            ProjectName = aws_codebuild_project.this["test-${replace(action.value, "/", "-")}"].name
          }
        }
      }
    }
  }

  stage {
    name = "Build"

    dynamic "action" {
      for_each = { for name, repo in var.image_repositories : name => repo if !local.promote_mode }
      content {
        name            = "image-${action.key}"
        category        = "Build"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        input_artifacts = ["source"]
        namespace       = "Image${replace(title(action.key), "-", "")}"
        run_order       = 1

        configuration = merge(
          { ProjectName = aws_codebuild_project.this["image-${action.key}"].name },
          {
            for key, value in {
              EnvironmentVariables = jsonencode([
                { name = "BUNDLE_PREFIX", value = "#{variables.BUNDLE_PREFIX}", type = "PLAINTEXT" },
              ])
            } : key => value if action.key == "inference"
          },
        )
      }
    }

    dynamic "action" {
      for_each = toset(["glue-script", "release-hook"])
      content {
        name            = action.value
        category        = "Build"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        input_artifacts = ["source"]
        run_order       = 1

        configuration = {
          ProjectName = aws_codebuild_project.this[action.value].name
        }
      }
    }
  }

  stage {
    name = "Plan"

    action {
      name             = "infra-plan"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["source"]
      output_artifacts = ["plan"]

      configuration = {
        ProjectName = aws_codebuild_project.this["infra-plan"].name
      }
    }
  }

  dynamic "stage" {
    for_each = var.require_manual_approval ? [1] : []
    content {
      name = "Approve"

      action {
        name     = "approve-${var.environment}"
        category = "Approval"
        owner    = "AWS"
        provider = "Manual"
        version  = "1"

        configuration = {
          NotificationArn = var.approval_topic_arn
          CustomData      = "Review the terraform plan and the release (image digest, model version and hash) of this execution before ${var.environment} changes."
        }
      }
    }
  }

  stage {
    name = "Deploy"

    action {
      name            = "infra-apply"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source", "plan"]
      run_order       = 1

      # After the apply, the infra-apply build runs db-bootstrap with the image this execution
      # built (ci/scripts/run-db-bootstrap.sh), so roles and grants match before traffic moves.
      configuration = {
        ProjectName   = aws_codebuild_project.this["infra-apply"].name
        PrimarySource = "source"
        EnvironmentVariables = jsonencode([
          { name = "DB_BOOTSTRAP_IMAGE_URI", value = "#{ImageDbBootstrap.IMAGE_URI}", type = "PLAINTEXT" },
        ])
      }
    }

    # Promotion mode reads image and model from the archive's release-manifest.json instead.
    action {
      name            = "deploy-inference"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      run_order       = 2

      configuration = merge(
        { ProjectName = aws_codebuild_project.this["deploy-inference"].name },
        {
          for key, value in {
            EnvironmentVariables = jsonencode([
              { name = "IMAGE_URI", value = "#{ImageInference.IMAGE_URI}", type = "PLAINTEXT" },
              { name = "MODEL_VERSION", value = "#{ImageInference.MODEL_VERSION}", type = "PLAINTEXT" },
              { name = "MODEL_SHA256", value = "#{ImageInference.MODEL_SHA256}", type = "PLAINTEXT" },
            ])
          } : key => value if !local.promote_mode
        },
      )
    }

    dynamic "action" {
      for_each = contains(keys(aws_codebuild_project.this), "publish-release") ? [1] : []
      content {
        name            = "publish-release"
        category        = "Build"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        input_artifacts = ["source"]
        run_order       = 3

        configuration = {
          ProjectName = aws_codebuild_project.this["publish-release"].name
          EnvironmentVariables = jsonencode([
            { name = "IMAGE_URI", value = "#{ImageInference.IMAGE_URI}", type = "PLAINTEXT" },
            { name = "BUNDLE_PREFIX", value = "#{ImageInference.BUNDLE_PREFIX}", type = "PLAINTEXT" },
          ])
        }
      }
    }
  }

  tags = var.tags
}
