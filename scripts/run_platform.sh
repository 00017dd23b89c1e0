#!/usr/bin/env bash
# `make run`: the whole platform on one machine with embedded defaults — no cloud account and no
# servers to install. Every stage writes under $RUN_DIR; stages whose inputs did not change are
# reused (the generated file is keyed by its arguments, and generation is deterministic).
#
#   scripts/run_platform.sh          generate → profile → features → train → gate → registry →
#                                    export bundle → API on localhost + sample requests
#   scripts/run_platform.sh serve    only start the API on the last run's bundle and store
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.venv/bin"
RUN_DIR="$(mkdir -p "${RUN_DIR:-var/run}" && cd "${RUN_DIR:-var/run}" && pwd)"
CUSTOMERS="${CUSTOMERS:-36457}"
SEED="${SEED:-42}"
PORT="${PORT:-8000}"
AS_OF="${AS_OF:-2021-01-01}"

RAW="$RUN_DIR/raw/loans-c${CUSTOMERS}-s${SEED}.csv"
LAKE="$RUN_DIR/lake/features"
STORE_URL="sqlite:///$RUN_DIR/feature_store.db"
TRACKING_URI="sqlite:///$RUN_DIR/mlflow/mlflow.db"
BUNDLE="$RUN_DIR/bundle"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

serve() {
  [ -f "$BUNDLE/metadata.json" ] || { echo "no bundle at $BUNDLE: run 'make run' first" >&2; exit 1; }
  step "API on http://127.0.0.1:$PORT (docs at /docs); Ctrl-C to stop"
  MODEL_BUNDLE_DIR="$BUNDLE" FEATURE_STORE_URL="$STORE_URL" \
    exec "$BIN/uvicorn" inference_service.main:app --host 127.0.0.1 --port "$PORT" --no-access-log
}

if [ "${1:-}" = "serve" ]; then serve; fi

step "1/6 synthetic loans file ($CUSTOMERS customers, seed $SEED)"
if [ ! -s "$RAW" ] || [ ! -s "$RAW.profile.txt" ]; then
  mkdir -p "$(dirname "$RAW")"
  "$BIN/generate-loans" --customers "$CUSTOMERS" --seed "$SEED" --out "$RAW.partial" --profile \
    | tee "$RAW.profile.txt.partial"
  mv "$RAW.partial" "$RAW" && mv "$RAW.profile.txt.partial" "$RAW.profile.txt"
else
  echo "reusing $RAW (same arguments give a byte-identical file)"
  cat "$RAW.profile.txt"
fi
