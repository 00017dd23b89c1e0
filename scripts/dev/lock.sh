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
compile inference-service/pyproject.toml -o inference-service/requirements.lock
# The monitoring image's base (Lambda python:3.11) is Amazon Linux 2, glibc 2.26: resolve wheels
# that install there (manylinux2014), since recent scipy/pyarrow/pillow ship manylinux_2_28 only.
compile risk-monitoring/pyproject.toml --python-platform x86_64-manylinux2014 --only-binary :all: \
  -o risk-monitoring/requirements.lock
# What CI's deploy builds install to run `release` (the versions of the main lock).
compile scripts/release-tool/pyproject.toml -c requirements.lock -o scripts/release-tool/requirements.lock
if grep -n '://' requirements*.lock inference-service/requirements.lock \
    risk-monitoring/requirements.lock scripts/release-tool/requirements.lock; then
  echo "a lock names a URL; refusing" >&2; exit 1
fi
