# The role `terraform plan/apply` of infra/live/<market>/<environment> runs as. Its trust: this
# account's CI infra builds (role <project>-<market>-<environment>-ci-infra, made by the market
# root) and the administrators named in administrator_role_arns (the first apply, break-glass).
# Nothing else, and no other account, may assume it.
data "aws_iam_policy_document" "deploy_trust" {
  statement {
    sid     = "CiInfraBuildsAndAdministrators"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values = concat(
        ["arn:${local.partition}:iam::${local.account_id}:role/${local.name_prefix}-ci-infra"],
        var.administrator_role_arns,
      )
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = var.deploy_role_name
  description          = "Terraform plan/apply of ${local.name_prefix} (CI infra builds, administrators)"
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = 3600

  tags = local.tags
}

# The deploy role creates the whole platform, so it administers the services the modules use;
# IAM is limited to the platform's own roles and policies (name prefix), so it cannot grant
# itself or anyone else more.
data "aws_iam_policy_document" "deploy" {
  #checkov:skip=CKV_AWS_355:The deploy role creates every resource of the platform; resource ARNs do not exist before the first apply, so the platform's services are granted on "*" (IAM alone is scoped by name).
  #checkov:skip=CKV_AWS_290:Write access without resource constraints is the purpose of a Terraform deploy role; it is assumable only by this account's CI infra builds and named administrators.
  #checkov:skip=CKV_AWS_289:Permissions management is limited to IAM roles and policies named <project>-*; service permissions management (e.g. KMS key policies, bucket policies) is what Terraform applies.
  #checkov:skip=CKV_AWS_288:Reading data (state, secrets metadata) is part of planning; the role is assumable only by CI infra builds and named administrators.
  #checkov:skip=CKV_AWS_286:Privilege escalation through IAM is bounded: role and policy actions are limited to names starting with the project prefix.
  #checkov:skip=CKV_AWS_287:Credentials exposure is bounded: the only secret value the role can read is the customer_ref key version Terraform refreshes (written write-only); the database secrets stay unreadable to it.
  #checkov:skip=CKV_AWS_111:Write access without resource constraints is the purpose of a Terraform deploy role (see CKV_AWS_290).
  #checkov:skip=CKV_AWS_356:See CKV_AWS_355: the platform's resources do not exist before the first apply.
  statement {
    sid       = "ManagePlatformServices"
    actions   = [for service in var.platform_services : "${service}:*"]
    resources = ["*"]
  }

  statement {
    sid = "ManagePlatformSecretsWithoutReadingThem"
    actions = [
      "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
      "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:TagResource",
      "secretsmanager:UntagResource", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets",
      "secretsmanager:GetRandomPassword",
    ]
    resources = ["*"]
  }

  # Terraform refreshes the customer_ref key's version (written write-only, never stored).
  statement {
    sid       = "RefreshCustomerRefKeyVersion"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:${local.partition}:secretsmanager:${var.aws_region}:${local.account_id}:secret:${var.project}-*/customer-ref-key-*"]
  }

  statement {
    sid     = "ManagePlatformRolesAndPolicies"
    actions = ["iam:*"]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:role/${var.project}-*",
      "arn:${local.partition}:iam::${local.account_id}:policy/${var.project}-*",
    ]
  }

  statement {
    sid       = "ServiceLinkedRolesAndReads"
    actions   = ["iam:CreateServiceLinkedRole", "iam:GetRole", "iam:ListRoles", "iam:ListPolicies", "sts:GetCallerIdentity"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy-platform"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
