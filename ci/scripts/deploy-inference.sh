#!/usr/bin/env bash
# Release the inference image through the market's CodeDeploy group with `release`
# (scripts/release-tool): publish a version, start the canary deployment (pre-traffic hook,
# canary share, bake on the per-version alarms), wait for its outcome. The build fails when
# CodeDeploy rolls the canary back (`release promote` exits 4), so the pipeline, and the
# retraining flow waiting on it, report the true outcome.
#   build mode:   IMAGE_URI (by digest), MODEL_VERSION, MODEL_SHA256 from the image build
#   promote mode: RELEASE_MANIFEST, the manifest of the release that passed the environment before
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${FUNCTION_NAME:?}" "${CODEDEPLOY_APP:?}" "${CODEDEPLOY_GROUP:?}" "${PRE_TRAFFIC_HOOK:?}"
export RELEASE_FUNCTION_NAME="$FUNCTION_NAME" RELEASE_CODEDEPLOY_APPLICATION="$CODEDEPLOY_APP"
export RELEASE_CODEDEPLOY_GROUP="$CODEDEPLOY_GROUP" RELEASE_PRE_TRAFFIC_HOOK="$PRE_TRAFFIC_HOOK"
export RELEASE_ACTOR="codebuild:${CODEBUILD_BUILD_ID:-local}"
reason="pipeline ${CODEBUILD_BUILD_ID:-local} (${CODEBUILD_RESOLVED_SOURCE_VERSION:-unknown commit})"
mkdir -p build

if [ -n "${RELEASE_MANIFEST:-}" ]; then
  release deploy --manifest "$RELEASE_MANIFEST" --reason "$reason" --json > build/deployed.json
else
  : "${IMAGE_URI:?}" "${MODEL_VERSION:?}" "${MODEL_SHA256:?}"
  release deploy --image-uri "$IMAGE_URI" --model-version "$MODEL_VERSION" \
    --model-sha256 "$MODEL_SHA256" --reason "$reason" --json > build/deployed.json
fi
deployed="$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["version"], d["live_version"])' build/deployed.json)"
read -r version live <<<"$deployed"
if [ "$version" = "$live" ]; then
  echo "version $version already serves all traffic: nothing to release"
  exit 0
fi
release canary --version "$version" --reason "$reason"
release promote --timeout "${CANARY_TIMEOUT_SECONDS:-3600}"
release status
