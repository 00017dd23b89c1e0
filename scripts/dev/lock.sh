#!/usr/bin/env bash
# Re-resolve the hashed locks from every package's pyproject.toml. Run after changing dependencies.
# uv does not write index URLs into requirements output unless asked, which keeps hosts out of git.
set -euo pipefail
cd "$(dirname "$0")/../.."
UV=.venv/bin/uv
compile() { "$UV" pip compile -q --generate-hashes --python-version 3.11 --no-header "$@"; }
projects=()
for p in scripts/*/pyproject.toml db-bootstrap/pyproject.toml risk-monitoring/pyproject.toml feature-pipeline/pyproject.toml model-training/pyproject.toml \
         inference-service/pyproject.toml; do
  projects+=("$p")
done
compile --all-extras "${projects[@]}" requirements-dev.in -o requirements.lock
compile requirements-checkov.in -o requirements-checkov.lock
compile requirements-bootstrap.in -o requirements-bootstrap.lock
# Image locks: what each Dockerfile installs (hash-checked, wheels only), resolved for the images'
# platform (python:3.11-slim: Debian 12, glibc 2.36, CPython 3.11, x86_64) at the versions of the
# main lock, so an image runs the versions the suites tested.
image_lock() {
  compile "$@" -c requirements.lock --python-platform x86_64-manylinux_2_28 --only-binary :all:
}
image_lock inference-service/pyproject.toml --extra lambda -o inference-service/requirements.lock
image_lock risk-monitoring/pyproject.toml --extra lambda -o risk-monitoring/requirements.lock
image_lock model-training/pyproject.toml -o model-training/requirements.lock
image_lock db-bootstrap/pyproject.toml -o db-bootstrap/requirements.lock
image_lock requirements-build.in -o requirements-build.lock
# The Glue job's lock (its wheels: ci/README.md, "The Glue job's dependency wheels").
"$UV" pip compile -q feature-pipeline/pyproject.toml --constraint requirements.lock --generate-hashes \
  --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o feature-pipeline/requirements.txt
# What CI's deploy builds install to run `release` (the versions of the main lock).
compile scripts/release-tool/pyproject.toml -c requirements.lock -o scripts/release-tool/requirements.lock
if grep -n '://' requirements*.lock */requirements.lock scripts/*/requirements.lock \
    feature-pipeline/requirements.txt; then
  echo "a lock names a URL; refusing" >&2; exit 1
fi
