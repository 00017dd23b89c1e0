#!/usr/bin/env bash
# The terraform on PATH is the one ci/image/Dockerfile pins (copied from the official image,
# pinned by digest): fail early instead of planning with another version.
set -euo pipefail
cd "$(dirname "$0")/../.."

pinned="$(sed -n 's/^FROM hashicorp\/terraform:\([0-9.]*\)@sha256:[0-9a-f]\{64\} AS terraform$/\1/p' ci/image/Dockerfile)"
[ -n "$pinned" ] || { echo "ci/image/Dockerfile pins no terraform version" >&2; exit 2; }
found="$(terraform version -json | python3 -c 'import json, sys; print(json.load(sys.stdin)["terraform_version"])')"
if [ "$found" != "$pinned" ]; then
  echo "terraform $found on PATH, ci/image pins $pinned: run the build in the CI tools image" >&2
  exit 1
fi
echo "terraform $found (pinned by ci/image/Dockerfile)"
