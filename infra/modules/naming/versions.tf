terraform {
  # Pure naming/tagging logic: no provider is needed.
  required_version = ">= 1.10.0"
}
