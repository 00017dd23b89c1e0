resource "aws_codepipeline" "this" {
  count = var.create_projects ? 1 : 0

  name          = local.pipeline_name
  role_arn      = aws_iam_role.pipeline.arn
  pipeline_type = "V2"

  artifact_store {
    type     = "S3"
    location = var.artifacts_bucket_name

    encryption_key {
      id   = var.kms_key_arn
      type = "KMS"
    }
  }

  stage {
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

  stage {
    name = "Test"

    dynamic "action" {
      for_each = var.services
      content {
        name            = "test-${action.value}"
        category        = "Test"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        input_artifacts = ["source"]
        run_order       = 1

        configuration = {
          ProjectName = aws_codebuild_project.this["test-${action.value}"].name
        }
      }
    }
  }

  stage {
    name = "Build"

    dynamic "action" {
      for_each = var.image_repositories
      content {
        name            = "image-${action.key}"
        category        = "Build"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        input_artifacts = ["source"]
        namespace       = "Image${replace(title(action.key), "-", "")}"
        run_order       = 1

        configuration = {
          ProjectName = aws_codebuild_project.this["image-${action.key}"].name
        }
      }
    }

    action {
      name            = "glue-script"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      run_order       = 1

      configuration = {
        ProjectName = aws_codebuild_project.this["glue-script"].name
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
          CustomData      = "Review the terraform plan and the image tags of this execution before ${var.environment} changes."
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

    action {
      name            = "deploy-inference"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["source"]
      run_order       = 2

      configuration = {
        ProjectName = aws_codebuild_project.this["deploy-inference"].name
        EnvironmentVariables = jsonencode([
          { name = "IMAGE_URI", value = "#{ImageInference.IMAGE_URI}", type = "PLAINTEXT" },
        ])
      }
    }
  }

  tags = var.tags
}
