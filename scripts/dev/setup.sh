#!/usr/bin/env bash
# Bootstrap the root .venv (every service + dev tools) and the isolated checkov env from the
# committed hashed locks. Idempotent: re-running only re-syncs what changed.
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGES=(
  scripts/loan-generator
  scripts/platform-testkit
  db-bootstrap
  risk-monitoring
  scripts/release-tool
  scripts/platform-status
  feature-pipeline
  model-training
  inference-service
)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }
as_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
  as_root || return 1
  command -v apt-get >/dev/null || return 1
  log "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

java_major() {
  java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print v[1]; exit}'
}

check_java() {
  if ! command -v java >/dev/null || [ "$(java_major)" != "17" ]; then
    apt_install openjdk-17-jre-headless || die "Java 17 is required by Spark 3.5.6 (AWS Glue 5.1). \
Found: '$(java -version 2>&1 | head -1 || echo none)'. Install OpenJDK 17 and put it first on PATH."
  fi
  log "java: $(java -version 2>&1 | head -1)"
}

check_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
    apt_install postgresql || log "WARNING: no PostgreSQL binaries; Postgres tests will skip \
(and fail when CI=true). Install PostgreSQL 15 server binaries."
  fi
}

PY="$(find_python)" || die "Python 3.11 is required (the AWS Glue 5.1 and Lambda runtime). \
Install it (e.g. pyenv install 3.11) so that 'python3.11' is on PATH."
check_java
check_postgres

if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $PY"
  "$PY" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install -q --require-hashes --no-deps -r requirements-bootstrap.lock
fi
UV=.venv/bin/uv

log "syncing .venv from requirements.lock"
# Bytecode is compiled once here: with PYTHONDONTWRITEBYTECODE set (as on our machines) every
# process would otherwise recompile each module it imports (~0.8 s per feature-pipeline run).
"$UV" pip sync -q --python .venv/bin/python --require-hashes --compile-bytecode requirements.lock
editable_args=()
src_trees=()
for pkg in "${PACKAGES[@]}"; do
  [ -f "$pkg/pyproject.toml" ] && editable_args+=(-e "$pkg") && src_trees+=("$pkg/src")
done
"$UV" pip install -q --python .venv/bin/python --no-deps --no-build-isolation "${editable_args[@]}"
.venv/bin/python -m compileall -q -j 0 "${src_trees[@]}" >/dev/null

log "syncing .venv-checkov from requirements-checkov.lock (isolated: checkov pins its own boto3)"
[ -x .venv-checkov/bin/python ] || "$PY" -m venv .venv-checkov
"$UV" pip sync -q --python .venv-checkov/bin/python --require-hashes requirements-checkov.lock

# The Amazon States Language validator is an npm package; npm lock files record registry URLs,
# so it is pinned by version here instead of by a committed package-lock.
ASL_VALIDATOR_VERSION=4.0.0
if [ ! -x .venv-checkov/node/node_modules/.bin/asl-validator ]; then
  if command -v npm >/dev/null; then
    log "installing asl-validator@$ASL_VALIDATOR_VERSION (Step Functions definition checks)"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund \
      --prefix .venv-checkov/node "asl-validator@$ASL_VALIDATOR_VERSION" >/dev/null
  else
    log "WARNING: npm not found: the Step Functions validation test will fail under CI=true"
  fi
fi

# Pre-parsed JVM classes for every later Spark start (feature-pipeline runs, its tests): built
# once per machine and JDK, ~30 s; a run without it is only a few seconds slower.
log "JVM class-data-sharing archive for Spark (once per machine)"
.venv/bin/feature-pipeline-jvm build-class-archive \
  || log "WARNING: no class archive (see the error above); Spark runs will only start slower"

log "ready: $(.venv/bin/python --version), console commands in .venv/bin/"
