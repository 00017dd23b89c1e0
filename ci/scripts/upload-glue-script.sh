#!/usr/bin/env bash
# Upload the Glue entry script and the feature_pipeline package (zipped, for --extra-py-files)
# to GLUE_S3_PREFIX (s3://<artifacts>/glue/feature_pipeline/), the keys the Glue job reads.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${GLUE_S3_PREFIX:?GLUE_S3_PREFIX is required (s3://bucket/prefix/)}"
entry="feature-pipeline/glue/job.py"
[ -f "$entry" ] || { echo "missing Glue entry script $entry" >&2; exit 1; }

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
# The zip root must contain the package directory so that `import feature_pipeline` works.
(cd feature-pipeline/src && python3 -m zipfile -c "$workdir/feature_pipeline.zip" feature_pipeline)

aws s3 cp --only-show-errors "$entry" "${GLUE_S3_PREFIX}job.py"
aws s3 cp --only-show-errors "$workdir/feature_pipeline.zip" "${GLUE_S3_PREFIX}feature_pipeline.zip"
echo "uploaded Glue script and package to $GLUE_S3_PREFIX"
