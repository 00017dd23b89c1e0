data "aws_iam_policy_document" "codebuild_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codebuild" {
  for_each = toset(["test", "image", "glue", "infra", "deploy"])

  name               = "${var.name_prefix}-ci-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.codebuild_assume.json

  tags = var.tags
}

locals {
  artifacts_arn     = "arn:${local.partition}:s3:::${var.artifacts_bucket_name}"
  state_bucket_arn  = "arn:${local.partition}:s3:::${var.terraform_state_bucket}"
  log_group_arn     = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group}"
  image_repo_arns   = [for r in values(var.image_repositories) : r.arn]
  codedeploy_prefix = "arn:${local.partition}:codedeploy:${local.region}:${local.account_id}"
}

# Every CI role: its own logs, the pipeline's artifacts, the platform key.
data "aws_iam_policy_document" "codebuild_common" {
  statement {
    sid       = "WriteBuildLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    sid       = "PipelineArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${local.artifacts_arn}/${var.name_prefix}-rel*/*"]
  }

  statement {
    sid       = "UsePlatformKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "TestReports"
    actions   = ["codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases"]
    resources = ["arn:${local.partition}:codebuild:${local.region}:${local.account_id}:report-group/${var.name_prefix}-*"]
  }
}

data "aws_iam_policy_document" "codebuild" {
  for_each = aws_iam_role.codebuild

  source_policy_documents = [data.aws_iam_policy_document.codebuild_common.json]

  dynamic "statement" {
    for_each = each.key == "image" ? [1] : []
    content {
      sid       = "PushImages"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeImages"]
      resources = local.image_repo_arns
    }
  }

  # GetAuthorizationToken has no resource-level permissions.
  dynamic "statement" {
    for_each = each.key == "image" ? [1] : []
    content {
      sid       = "EcrLogin"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  # The inference image bakes in a published bundle (versioned prefix, named by a pointer).
  dynamic "statement" {
    for_each = each.key == "image" ? [1] : []
    content {
      sid       = "ReadBundles"
      actions   = ["s3:GetObject", "s3:ListBucket"]
      resources = [local.artifacts_arn, "${local.artifacts_arn}/bundles/*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "glue" ? [1] : []
    content {
      sid       = "UploadGlueScriptAndReleaseHook"
      actions   = ["s3:PutObject", "s3:GetObject", "s3:ListBucket"]
      resources = [local.artifacts_arn, "${local.artifacts_arn}/glue/feature_pipeline/*", "${local.artifacts_arn}/${local.hook_key_prefix}*"]
    }
  }

  # Every project but the Docker builds runs in the CI tools image (ci/image).
  dynamic "statement" {
    for_each = each.key != "image" && var.ci_tools_repository_arn != null ? [1] : []
    content {
      sid       = "PullCiToolsImage"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      resources = [var.ci_tools_repository_arn]
    }
  }

  # GetAuthorizationToken has no resource-level permissions.
  dynamic "statement" {
    for_each = each.key != "image" && var.ci_tools_repository_arn != null ? [1] : []
    content {
      sid       = "EcrLoginForCiTools"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "infra" ? [1] : []
    content {
      sid       = "TerraformState"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
      resources = [local.state_bucket_arn, "${local.state_bucket_arn}/${var.market}/${var.environment}/*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "infra" ? [1] : []
    content {
      sid       = "AssumeTerraformDeployRole"
      actions   = ["sts:AssumeRole"]
      resources = [var.terraform_deploy_role_arn]
    }
  }

  # ci/scripts/run-db-bootstrap.sh: start db-bootstrap after the apply and wait for it.
  dynamic "statement" {
    for_each = each.key == "infra" ? [1] : []
    content {
      sid       = "RunDbBootstrap"
      actions   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]
      resources = ["${local.project_arn_prefix}/${var.db_bootstrap_project_name}"]
    }
  }

  # `release deploy`: publish a version. The alias itself only ever moves through CodeDeploy.
  dynamic "statement" {
    for_each = each.key == "deploy" ? [1] : []
    content {
      sid       = "PublishFunctionVersion"
      actions   = ["lambda:UpdateFunctionCode", "lambda:PublishVersion", "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetAlias", "lambda:ListVersionsByFunction"]
      resources = [var.function_arn, "${var.function_arn}:*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "deploy" && var.pre_traffic_hook_function_name != null ? [1] : []
    content {
      sid       = "CheckPreTrafficHookExists"
      actions   = ["lambda:GetFunctionConfiguration"]
      resources = ["arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${coalesce(var.pre_traffic_hook_function_name, "none")}"]
    }
  }

  # `release canary/promote/rollback/status/manifest`: start, follow, stop deployments.
  dynamic "statement" {
    for_each = each.key == "deploy" ? [1] : []
    content {
      sid     = "CanaryDeployment"
      actions = ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:BatchGetDeployments", "codedeploy:ListDeployments", "codedeploy:StopDeployment", "codedeploy:GetDeploymentGroup", "codedeploy:GetDeploymentConfig", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"]
      resources = [
        "${local.codedeploy_prefix}:application:${var.codedeploy_app_name}",
        "${local.codedeploy_prefix}:deploymentgroup:${var.codedeploy_app_name}/${var.codedeploy_deployment_group_name}",
        "${local.codedeploy_prefix}:deploymentconfig:*",
      ]
    }
  }

  # `release canary` points the group's per-version alarms at the new version first.
  dynamic "statement" {
    for_each = each.key == "deploy" ? [1] : []
    content {
      sid       = "PointCanaryAlarms"
      actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:SetAlarmState"]
      resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-canary-*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "deploy" && var.release_publish != null ? [1] : []
    content {
      sid       = "PublishReleaseArchive"
      actions   = ["s3:PutObject"]
      resources = ["arn:${local.partition}:s3:::${try(var.release_publish.bucket, "none")}/${try(var.release_publish.key, "none")}"]
    }
  }
}

resource "aws_iam_role_policy" "codebuild" {
  for_each = aws_iam_role.codebuild

  name   = "ci-${each.key}"
  role   = each.value.id
  policy = data.aws_iam_policy_document.codebuild[each.key].json
}

# Pipeline ---------------------------------------------------------------------------------------
data "aws_iam_policy_document" "pipeline_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name               = "${var.name_prefix}-release-pipeline"
  assume_role_policy = data.aws_iam_policy_document.pipeline_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"]
    resources = [local.artifacts_arn, "${local.artifacts_arn}/${var.name_prefix}-rel*/*"]
  }

  statement {
    sid       = "UsePlatformKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "RunBuilds"
    actions   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"]
    resources = [for key in keys(local.projects) : "${local.project_arn_prefix}/${var.name_prefix}-${key}"]
  }

  statement {
    sid       = "ReadSource"
    actions   = ["codestar-connections:UseConnection", "codeconnections:UseConnection"]
    resources = [var.source_connection_arn]
  }

  statement {
    sid       = "NotifyApprovers"
    actions   = ["sns:Publish"]
    resources = [var.approval_topic_arn]
  }

  # Promotion mode: the release archive the environment before published.
  dynamic "statement" {
    for_each = local.promote_mode ? [1] : []
    content {
      sid       = "ReadReleaseArchive"
      actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning"]
      resources = ["arn:${local.partition}:s3:::${try(var.release_source.bucket, "none")}", "arn:${local.partition}:s3:::${try(var.release_source.bucket, "none")}/${try(var.release_source.key, "none")}"]
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "release-pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# Training build --------------------------------------------------------------------------------
resource "aws_iam_role" "training" {
  name               = local.training_project_name
  assume_role_policy = data.aws_iam_policy_document.codebuild_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "training" {
  statement {
    sid       = "WriteBuildLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.training.arn}:*"]
  }

  statement {
    sid       = "PullTrainingImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.training_repository_arn]
  }

  # GetAuthorizationToken has no resource-level permissions.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadFeatures"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.features_bucket_name}", "arn:${local.partition}:s3:::${var.features_bucket_name}/${var.features_prefix}*"]
  }

  statement {
    sid       = "ReadRawLoansForSlices"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${var.raw_bucket_name}/${var.raw_object_key}"]
  }

  # models/: MLflow artifacts and the champion bundle the image build fetches; bundles/: the
  # versioned serving bundles and their pointers (docs/contracts/serving-bundle.md).
  statement {
    sid       = "WriteModels"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.artifacts_bucket_name}", "arn:${local.partition}:s3:::${var.artifacts_bucket_name}/models/*", "arn:${local.partition}:s3:::${var.artifacts_bucket_name}/bundles/*"]
  }

  statement {
    sid       = "ConnectToRegistryAsMlflow"
    actions   = ["rds-db:connect"]
    resources = [var.mlflow_db_user_arn]
  }

  statement {
    sid       = "UsePlatformKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # CodeBuild creates its build ENIs itself; the describe calls cannot be scoped.
  statement {
    sid = "DescribeVpcForBuilds"
    actions = [
      "ec2:DescribeDhcpOptions",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "CreateBuildInterfaces"
    actions   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]
  }

  statement {
    sid       = "AttachBuildInterfacesToOwnSubnets"
    actions   = ["ec2:CreateNetworkInterfacePermission"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:AuthorizedService"
      values   = ["codebuild.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = [for s in var.subnet_ids : "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/${s}"]
    }
  }
}

resource "aws_iam_role_policy" "training" {
  name   = "training"
  role   = aws_iam_role.training.id
  policy = data.aws_iam_policy_document.training.json
}
