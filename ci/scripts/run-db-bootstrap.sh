#!/usr/bin/env bash
# After terraform apply: run the db-bootstrap CodeBuild project (DB_BOOTSTRAP_PROJECT) and wait
# for it, so the database roles, grants and the proxy's secrets match before any traffic moves.
# DB_BOOTSTRAP_IMAGE_URI (the image this pipeline execution built) overrides the project's image.
# Exits non-zero unless the build SUCCEEDED.
set -euo pipefail

: "${DB_BOOTSTRAP_PROJECT:?DB_BOOTSTRAP_PROJECT is required}"
poll="${POLL_SECONDS:-10}"

args=(--project-name "$DB_BOOTSTRAP_PROJECT")
if [ -n "${DB_BOOTSTRAP_IMAGE_URI:-}" ]; then
  args+=(--image-override "$DB_BOOTSTRAP_IMAGE_URI" --image-pull-credentials-type-override SERVICE_ROLE)
fi
build_id="$(aws codebuild start-build "${args[@]}" --query build.id --output text)"
echo "db-bootstrap: build $build_id started"

status=IN_PROGRESS
while [ "$status" = IN_PROGRESS ]; do
  sleep "$poll"
  status="$(aws codebuild batch-get-builds --ids "$build_id" --query 'builds[0].buildStatus' --output text)"
done
if [ "$status" != SUCCEEDED ]; then
  echo "db-bootstrap: build $build_id ended $status" >&2
  exit 1
fi
echo "db-bootstrap: build $build_id succeeded"
