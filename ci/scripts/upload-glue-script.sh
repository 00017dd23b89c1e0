#!/usr/bin/env bash
# Upload what the Glue job reads to GLUE_S3_PREFIX (s3://<artifacts>/glue/feature_pipeline/):
#   job.py                     the entry script (feature-pipeline/glue/job.py)
#   feature_pipeline.zip       the package, for --extra-py-files
#   wheels/<digest>/*.whl      its dependencies that the Glue 5.1 runtime lacks, for
#                              --additional-python-modules (installed with pip --no-index: the
#                              job's subnets have no route to a package index)
# The wheels are the entries of the hashed lock feature-pipeline/requirements.txt minus
# feature-pipeline/glue/runtime-provided.txt, downloaded for Glue 5.1 (CPython 3.11, manylinux
# x86_64) with every hash checked; <digest> versions that set. The job's wheel list is the
# committed manifest feature-pipeline/glue/wheels.txt (read by the Terraform roots): nothing is
# uploaded when the download differs from it.
#
#   upload-glue-script.sh                    download, check against the manifest, upload
#   upload-glue-script.sh --write-manifest   download and rewrite the manifest (after a lock
#                                            change; commit the result)
set -euo pipefail
cd "$(dirname "$0")/../.."

mode="${1:-upload}"
if [ "$mode" != upload ] && [ "$mode" != --write-manifest ]; then
  echo "usage: $0 [--write-manifest]" >&2
  exit 2
fi
if [ "$mode" = upload ]; then
  : "${GLUE_S3_PREFIX:?GLUE_S3_PREFIX is required (s3://bucket/prefix/)}"
  case "$GLUE_S3_PREFIX" in
    s3://*/) ;;
    *) echo "GLUE_S3_PREFIX must look like s3://bucket/prefix/ (got $GLUE_S3_PREFIX)" >&2; exit 2 ;;
  esac
fi
entry="feature-pipeline/glue/job.py"
[ -f "$entry" ] || { echo "missing Glue entry script $entry" >&2; exit 1; }

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# Dependencies: the pinned, hashed lock entries Glue does not provide, as wheels for its platform
# (the compatible tags AWS documents for Glue 5.1: glibc 2.34, CPython 3.11, x86_64).
python3 ci/scripts/glue_wheels.py requirements >"$workdir/requirements-glue.txt"
pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
  --platform manylinux_2_34_x86_64 --platform manylinux_2_28_x86_64 \
  --platform manylinux2014_x86_64 --implementation cp --python-version 3.11 \
  --dest "$workdir/wheels" -r "$workdir/requirements-glue.txt"
if [ "$mode" = --write-manifest ]; then
  python3 ci/scripts/glue_wheels.py manifest "$workdir/wheels" --write
  exit 0
fi
python3 ci/scripts/glue_wheels.py manifest "$workdir/wheels" --check
digest="$(python3 ci/scripts/glue_wheels.py digest)"

# The zip root must contain the package directory so that `import feature_pipeline` works.
(cd feature-pipeline/src && python3 -m zipfile -c "$workdir/feature_pipeline.zip" feature_pipeline)

# Wheels first (a new versioned prefix, unused until Terraform points the job at it), then the
# package and the entry script.
aws s3 cp --only-show-errors --recursive "$workdir/wheels/" "${GLUE_S3_PREFIX}wheels/${digest}/"
aws s3 cp --only-show-errors "$workdir/feature_pipeline.zip" "${GLUE_S3_PREFIX}feature_pipeline.zip"
aws s3 cp --only-show-errors "$entry" "${GLUE_S3_PREFIX}job.py"
echo "uploaded Glue script, package and wheels/${digest}/ to $GLUE_S3_PREFIX"
