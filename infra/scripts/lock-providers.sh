#!/usr/bin/env bash
# Rewrite the committed .terraform.lock.hcl of every Terraform root from a provider mirror:
# the market roots, the bootstrap root and the emulator root; the market-root template gets the
# lock of a market root (make new-market copies it, so a new market starts with the same pins).
#
#   infra/scripts/lock-providers.sh [mirror]    (default /opt/tf-plugins, or TF_PLUGIN_MIRROR)
#
# Hashes are recorded for linux_amd64 (CI and the build images). A developer on another platform
# adds that platform's hash with `terraform providers lock -platform=<os_arch>` from the registry.
set -euo pipefail

mirror="${1:-${TF_PLUGIN_MIRROR:-/opt/tf-plugins}}"
infra="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Install from the mirror only, in a scratch copy: init never touches the repository's roots.
cat >"$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
cp -r "$infra" "$work/infra"
# The roots read files outside infra/ (the training buildspec, the Glue wheel manifest).
cp -r "$infra/../ci" "$work/ci"
mkdir -p "$work/feature-pipeline" && cp -r "$infra/../feature-pipeline/glue" "$work/feature-pipeline/glue"

cd "$infra"
roots=(live/*/* bootstrap tests/moto_root)
for root in "${roots[@]}"; do
  copy="$work/infra/$root"
  rm -rf "$copy/.terraform" "$copy/.terraform.lock.hcl"
  terraform -chdir="$copy" init -backend=false -input=false -no-color >/dev/null
  rm -f "$copy/.terraform.lock.hcl"
  terraform -chdir="$copy" providers lock -no-color -fs-mirror="$mirror" -platform=linux_amd64 >/dev/null
  cp "$copy/.terraform.lock.hcl" "$infra/$root/.terraform.lock.hcl"
  echo "locked $root"
done
first_market_root=$(ls -d live/*/* | head -n1)
cp "$first_market_root/.terraform.lock.hcl" templates/market-root/.terraform.lock.hcl
echo "locked templates/market-root (from $first_market_root)"
