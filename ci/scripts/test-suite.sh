#!/usr/bin/env bash
# Lint, type-check and test one suite folder, writing a JUnit report for CodeBuild:
#   ci/scripts/test-suite.sh SUITE     e.g. inference-service, scripts/release-tool, infra, e2e
# The suites are those of scripts/dev/run_suites.py (`make test`): the pipeline runs every one
# of them, one CodeBuild action each, before any image is built.
set -euo pipefail
cd "$(dirname "$0")/../.."

suite="${1:?usage: test-suite.sh SUITE}"
[ -d "$suite/tests" ] || { echo "not a test suite (no tests/): $suite" >&2; exit 2; }
report="reports/$(printf '%s' "$suite" | tr '/' '_').xml"
mkdir -p reports

.venv/bin/ruff check "$suite"
.venv/bin/ruff format --check "$suite"
if [ -d "$suite/src" ]; then
  .venv/bin/mypy "$suite/src"
fi
(cd "$suite" && CI=true "$OLDPWD/.venv/bin/python" -m pytest tests -q --junitxml="$OLDPWD/$report")
