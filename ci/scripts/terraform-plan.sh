#!/usr/bin/env bash
# fmt -check, init, validate, checkov and a saved plan for one root (TF_ROOT).
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${TF_ROOT:?TF_ROOT (e.g. infra/live/mx/staging) is required}"
terraform fmt -check -recursive infra
terraform -chdir="$TF_ROOT" init -input=false
terraform -chdir="$TF_ROOT" validate
.venv-checkov/bin/checkov --quiet --compact --framework terraform \
  --directory "$TF_ROOT" --directory infra/modules --output cli --output junitxml --output-file-path console,"$TF_ROOT"
mv "$TF_ROOT/results_junitxml.xml" "$TF_ROOT/checkov.xml"
terraform -chdir="$TF_ROOT" plan -input=false -out=tfplan \
  -var "assume_role_arn=${TF_DEPLOY_ROLE_ARN:-}"
terraform -chdir="$TF_ROOT" show -no-color tfplan | tail -n 5
