#!/usr/bin/env bash
# Put the serving bundle into the inference image's build context, verified (only when a bundle
# is configured, i.e. for the inference image):
#   BUNDLE_PREFIX   s3://<artifacts>/bundles/<model>/v<version>-<sha12>/: the candidate the
#                   retraining flow releases (pipeline variable), or empty for
#   BUNDLE_POINTER  s3://<artifacts>/bundles/<model>/champion.json: the current champion.
# The versioned prefix is immutable (metadata.json uploaded last); model.onnx must hash to
# metadata.json model_sha256, to the prefix name and to the pointer (ci/scripts/bundle_check.py).
# Writes build/bundle-prefix, build/model-version and build/model-sha256 for build-image.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${IMAGE_CONTEXT:?IMAGE_CONTEXT (service folder with the Dockerfile) is required}"
if [ -z "${BUNDLE_PREFIX:-}" ] && [ -z "${BUNDLE_POINTER:-}" ]; then
  echo "no bundle for this image"; exit 0
fi

mkdir -p build
prefix="${BUNDLE_PREFIX:-}"
expected=""
if [ -z "$prefix" ]; then
  aws s3 cp --only-show-errors "$BUNDLE_POINTER" build/bundle-pointer.json
  named="$(python3 ci/scripts/bundle_check.py pointer "$(dirname "$BUNDLE_POINTER")" build/bundle-pointer.json)"
  read -r prefix expected <<<"$named"
fi

bundle="$IMAGE_CONTEXT/bundle"
rm -rf "$bundle"
aws s3 cp --only-show-errors --recursive "$prefix" "$bundle"
checked="$(python3 ci/scripts/bundle_check.py verify "$bundle" "$prefix" ${expected:+"$expected"})"
read -r version sha <<<"$checked"
printf '%s\n' "$prefix" > build/bundle-prefix
printf '%s\n' "$version" > build/model-version
printf '%s\n' "$sha" > build/model-sha256
echo "bundle: model $version sha256 $sha from $prefix"
