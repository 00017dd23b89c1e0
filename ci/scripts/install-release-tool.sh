#!/usr/bin/env bash
# Install the `release` command for a deploy build, from its hashed lock (the versions of the
# repository's main lock), into RELEASE_VENV (default /tmp/release-venv, outside the source
# tree that publish-release.sh archives). Prints the bin directory to put on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="${RELEASE_VENV:-/tmp/release-venv}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --require-hashes --only-binary=:all: \
  -r scripts/release-tool/requirements.lock
# The package itself (its build backend, hatchling, is fetched for the build only).
"$venv/bin/python" -m pip install --quiet --no-deps scripts/release-tool
"$venv/bin/release" --help >/dev/null
printf '%s\n' "$venv/bin"
