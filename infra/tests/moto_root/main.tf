# The emulator root: the same composition as every market root (modules/platform), applied
# against a moto server by infra/tests (and by the end-to-end tests). Market mx, environment
# staging, so its state is also what a plan of infra/live/mx/staging is compared against.
#
# What it leaves out, and why (modules/platform variable `emulator`):
#   - omit_database_instance: the RDS instance and the proxy's target. moto creates them, but the
#     provider's status waiters cost ~80 s; the proxy (IAM auth per service role), its secrets and
#     every role are created, and a stand-in secret replaces the RDS-managed master secret.
#   - omit_build_projects: the CodeBuild projects (training, db-bootstrap, CI) and CodePipeline.
#     moto rejects projects without a source location (NO_SOURCE / CODEPIPELINE); their roles
#     and security groups are created, so tests can assume them.
#   - short_recovery: secrets and the key are deleted without recovery windows, so destroy is clean.
# The full market roots are planned against moto with nothing left out (infra/tests).
module "platform" {
  source = "../../modules/platform"

  market             = var.market
  environment        = "staging"
  availability_zones = ["${var.aws_region}a", "${var.aws_region}b"]
  vpc_cidr           = "10.40.0.0/16"
  force_destroy      = true

  inference = {
    reserved_concurrency = 5
  }

  # As infra/live/mx/staging: the live plan on this state then changes no log group or policy
  # that the retention reaches.
  prediction_log_retention = {
    cloudwatch_days = 14
    s3_days         = 90
  }

  # The consumer of infra/live/mx/staging (same resource policy, so a plan of that root on this
  # state redeploys nothing); its usage plan limits differ, they are not part of the API.
  api_consumers = {
    loan-origination = {
      principal_arns = ["arn:aws:iam::111111111111:role/loan-origination-staging"]
      rate_limit     = 50
      burst_limit    = 100
      monthly_quota  = 5000000
    }
  }

  feature_pipeline = {
    quality_settings = {
      max_quarantine_share = "0.05"
    }
  }

  # Placeholders in moto's account: no pipeline is created here.
  delivery = {
    source_connection_arn     = "arn:aws:codeconnections:${var.aws_region}:123456789012:connection/00000000-0000-0000-0000-000000000001"
    repository_id             = "credit-risk/platform"
    terraform_state_bucket    = "credit-risk-tfstate-${var.market}-staging"
    terraform_deploy_role_arn = "arn:aws:iam::123456789012:role/credit-risk-terraform-deploy"
    require_manual_approval   = false
  }

  emulator = {
    omit_database_instance = true
    omit_build_projects    = true
    short_recovery         = true
  }
}
