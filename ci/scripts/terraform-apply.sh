#!/usr/bin/env bash
# Apply a saved (reviewed) plan to TF_ROOT. The plan file is the approval: nothing else is applied.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${TF_ROOT:?TF_ROOT is required}"
plan="${1:?usage: terraform-apply.sh PLAN_FILE}"
[ -s "$plan" ] || { echo "saved plan $plan not found" >&2; exit 1; }
cp "$(dirname "$plan")/.terraform.lock.hcl" "$TF_ROOT/.terraform.lock.hcl"
terraform -chdir="$TF_ROOT" init -input=false
terraform -chdir="$TF_ROOT" apply -input=false "$(realpath "$plan")"
