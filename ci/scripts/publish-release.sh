#!/usr/bin/env bash
# After a release passed this environment: write its manifest (`release manifest`, refused
# unless the canary just succeeded) and publish the release archive - this exact source tree
# plus release-manifest.json - to RELEASE_PUBLISH_URI (s3://bucket/key.zip), the source the next
# environment's pipeline plans, applies and deploys from: same commit, same image digest, same
# model hash, nothing rebuilt, no checkout of main.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${RELEASE_PUBLISH_URI:?}" "${IMAGE_URI:?}" "${BUNDLE_PREFIX:?}" "${MARKET:?}" "${ENVIRONMENT:?}"
: "${FUNCTION_NAME:?}" "${CODEDEPLOY_APP:?}" "${CODEDEPLOY_GROUP:?}"
export RELEASE_FUNCTION_NAME="$FUNCTION_NAME" RELEASE_CODEDEPLOY_APPLICATION="$CODEDEPLOY_APP"
export RELEASE_CODEDEPLOY_GROUP="$CODEDEPLOY_GROUP"
commit="${CODEBUILD_RESOLVED_SOURCE_VERSION:?the commit this pipeline run built}"
case "$RELEASE_PUBLISH_URI" in s3://*.zip) ;; *) echo "RELEASE_PUBLISH_URI must be s3://bucket/key.zip" >&2; exit 2 ;; esac

release manifest --out release-manifest.json --image-uri "$IMAGE_URI" --market "$MARKET" \
  --environment "$ENVIRONMENT" --git-commit "$commit" --bundle-prefix "$BUNDLE_PREFIX"
archive="$(mktemp -d)/release.zip"
# Source only: no provider plugins or state (a state file holds secrets), no local outputs.
zip -q -r "$archive" . -x 'build/*' 'reports/*' '.venv*' '.git/*' '*/.terraform/*' '*.tfstate*'
aws s3 cp --only-show-errors "$archive" "$RELEASE_PUBLISH_URI"
echo "published release $commit ($IMAGE_URI) to $RELEASE_PUBLISH_URI"
