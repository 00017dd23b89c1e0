# Single source of truth for names and tags: every module receives `name_prefix` and `tags`
# from here, so a market's resources are recognisable and cost-attributable without guessing.
locals {
  name_prefix = "${var.project}-${var.market}-${var.environment}"

  # CloudWatch metric dimensions / path-like names use the same parts.
  path_prefix = "/${var.project}/${var.market}/${var.environment}"

  tags = merge(
    {
      Project     = var.project
      Market      = var.market
      Environment = var.environment
      Owner       = var.owner
      ManagedBy   = "terraform"
    },
    var.extra_tags,
  )
}
