# Local state on purpose: this root creates the bucket every other root keeps its state in. After
# the first apply, move this state into that bucket (infra/README.md, "Bootstrap an account"):
#   terraform init -migrate-state -backend-config=... with a backend "s3" block (key
#   bootstrap/<market>/<environment>/terraform.tfstate).
terraform {
  backend "local" {}
}
