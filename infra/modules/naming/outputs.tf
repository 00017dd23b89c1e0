output "name_prefix" {
  description = "Prefix for resource names: <project>-<market>-<environment>."
  value       = local.name_prefix
}

output "path_prefix" {
  description = "Path-style prefix (/<project>/<market>/<environment>) for log groups and parameters."
  value       = local.path_prefix
}

output "tags" {
  description = "Standard tags to apply to every resource."
  value       = local.tags
}

output "market" {
  description = "Validated market code."
  value       = var.market
}

output "environment" {
  description = "Validated environment name."
  value       = var.environment
}
