#!/usr/bin/env bash
# Put the champion serving bundle into the image build context (only when BUNDLE_S3_URI is set,
# i.e. for the inference image) and refuse to continue with an incomplete bundle.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${IMAGE_CONTEXT:?IMAGE_CONTEXT (service folder with the Dockerfile) is required}"
if [ -z "${BUNDLE_S3_URI:-}" ]; then
  echo "no bundle for this image"; exit 0
fi

bundle="$IMAGE_CONTEXT/bundle"
rm -rf "$bundle"
aws s3 sync --only-show-errors "$BUNDLE_S3_URI" "$bundle"
for required in model.onnx metadata.json; do
  [ -s "$bundle/$required" ] || { echo "champion bundle at $BUNDLE_S3_URI lacks $required" >&2; exit 1; }
done
echo "bundle: model_version $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model_version"])' "$bundle/metadata.json")"
