#!/usr/bin/env bash
# Lint, type-check and test one service folder, writing a JUnit report for CodeBuild.
#   ci/scripts/test-service.sh SERVICE_DIR     e.g. inference-service, risk-monitoring
set -euo pipefail
cd "$(dirname "$0")/../.."

service="${1:?usage: test-service.sh SERVICE_DIR}"
[ -f "$service/pyproject.toml" ] || { echo "not a service folder: $service" >&2; exit 2; }
mkdir -p reports

.venv/bin/ruff check "$service"
.venv/bin/ruff format --check "$service"
if [ -d "$service/src" ]; then
  .venv/bin/mypy "$service/src"
fi
(cd "$service" && CI=true ../.venv/bin/python -m pytest tests -q --junitxml="$OLDPWD/reports/$(basename "$service").xml")
