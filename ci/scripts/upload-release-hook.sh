#!/usr/bin/env bash
# Upload the CodeDeploy pre-traffic hook (scripts/release-tool/src/release_tool/pre_traffic_hook.py,
# standard library + boto3 only) as a Lambda zip to
#   <HOOK_S3_PREFIX>pre_traffic_hook-<sha256 of the file>.zip
# The key names the content, so Terraform (infra/modules/inference/hooks.tf, key computed with
# filesha256 of the same file) updates the function exactly when the code changes. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${HOOK_S3_PREFIX:?HOOK_S3_PREFIX is required (s3://bucket/lambda/release-hooks/)}"
case "$HOOK_S3_PREFIX" in s3://*/) ;; *) echo "HOOK_S3_PREFIX must look like s3://bucket/prefix/" >&2; exit 2 ;; esac
source_file="scripts/release-tool/src/release_tool/pre_traffic_hook.py"
digest="$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$source_file")"
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
cp "$source_file" "$workdir/pre_traffic_hook.py"
(cd "$workdir" && python3 -m zipfile -c hook.zip pre_traffic_hook.py)
aws s3 cp --only-show-errors "$workdir/hook.zip" "${HOOK_S3_PREFIX}pre_traffic_hook-${digest}.zip"
echo "uploaded ${HOOK_S3_PREFIX}pre_traffic_hook-${digest}.zip"
