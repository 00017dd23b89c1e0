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
# The customer_ref pseudonym key of local runs (in AWS it comes from Secrets Manager).
export CUSTOMER_REF_KEY="${CUSTOMER_REF_KEY:-make-run-development-key-not-a-secret}"

RAW="$RUN_DIR/raw/loans-c${CUSTOMERS}-s${SEED}.csv"
LAKE="$RUN_DIR/lake/features"
STORE_URL="sqlite:///$RUN_DIR/feature_store.db"
TRACKING_URI="sqlite:///$RUN_DIR/mlflow/mlflow.db"
BUNDLE="$RUN_DIR/bundle"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

API_PID_FILE="$RUN_DIR/api.pid"
API_LOG="$RUN_DIR/api.log"

stop_api() {
  if [ -f "$API_PID_FILE" ] && kill -0 "$(cat "$API_PID_FILE")" 2>/dev/null; then
    kill "$(cat "$API_PID_FILE")" && echo "stopped the API (pid $(cat "$API_PID_FILE"))"
  fi
  rm -f "$API_PID_FILE"
}

serve_foreground() {
  [ -f "$BUNDLE/metadata.json" ] || { echo "no bundle at $BUNDLE: run 'make run' first" >&2; exit 1; }
  stop_api
  step "API on http://127.0.0.1:$PORT (docs at /docs); Ctrl-C to stop"
  exec "$BIN/inference-service" serve --bundle-dir "$BUNDLE" --store-url "$STORE_URL" --port "$PORT"
}

serve_background() {
  stop_api
  "$BIN/inference-service" serve --bundle-dir "$BUNDLE" --store-url "$STORE_URL" --port "$PORT" \
    >"$API_LOG" 2>&1 &
  echo $! >"$API_PID_FILE"
  for _ in $(seq 1 100); do
    if "$BIN/python" -c "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; then return 0; fi
    kill -0 "$(cat "$API_PID_FILE")" 2>/dev/null || { cat "$API_LOG" >&2; exit 1; }
    sleep 0.2
  done
  echo "the API did not become ready; log: $API_LOG" >&2; tail -20 "$API_LOG" >&2; exit 1
}

case "${1:-}" in
  serve) serve_foreground ;;
  stop) stop_api; exit 0 ;;
esac

step "1/6 synthetic loans file ($CUSTOMERS customers, seed $SEED)"
if [ ! -s "$RAW" ] || [ ! -s "$RAW.profile.txt" ]; then
  mkdir -p "$(dirname "$RAW")"
  "$BIN/generate-loans" --customers "$CUSTOMERS" --seed "$SEED" --out "$RAW" --profile \
    | tee "$RAW.profile.txt.partial"
  mv "$RAW.profile.txt.partial" "$RAW.profile.txt"
else
  echo "reusing $RAW (same arguments give a byte-identical file)"
  cat "$RAW.profile.txt"
fi

step "2/6 features: quality rules, training set, online store as of $AS_OF"
"$BIN/feature-pipeline" run --input "$RAW" --output "$LAKE" --online-store "$STORE_URL" \
  --as-of "$AS_OF"
# The run _LATEST names (a run folder keeps the layout training_set/{csv,parquet}/ + _SUCCESS).
LATEST_RUN="$LAKE/$("$BIN/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["prefix"])' "$LAKE/_LATEST")"

step "3/6 training: candidates, search, evaluation, quality gate (MLflow at $TRACKING_URI)"
mkdir -p "$RUN_DIR/mlflow"
export MODEL_TRAINING_HOME="$RUN_DIR/mlflow"
set +e
"$BIN/model-training" train --data "$LATEST_RUN" --tracking-uri "$TRACKING_URI" --raw "$RAW"
train_status=$?
set -e

step "4/6 registry: the first passing model becomes champion"
if [ "$train_status" -eq 1 ]; then
  echo "the quality gate rejected this model: nothing registered, no alias moved"
elif [ "$train_status" -ne 0 ]; then
  exit "$train_status"
else
  "$BIN/model-training" promote --from-alias challenger --if-no-champion \
    --tracking-uri "$TRACKING_URI" --reason "make run: first model that passed the gate"
fi

step "5/6 serving bundle (ONNX + metadata + model card) from the champion"
if ! "$BIN/model-training" export --alias champion --out "$BUNDLE" --tracking-uri "$TRACKING_URI"; then
  echo "no champion to serve yet (the gate has not passed a model in $TRACKING_URI)" >&2
  exit 1
fi

step "6/6 API on http://127.0.0.1:$PORT with sample requests"
serve_background
"$BIN/inference-service" demo --url "http://127.0.0.1:$PORT" --store-url "$STORE_URL"
cat <<DONE

The API is still running (pid $(cat "$API_PID_FILE"), log $API_LOG):
  curl -s -X POST http://127.0.0.1:$PORT/predict -H 'content-type: application/json' -d '{"id": "<customer id>"}'
  open http://127.0.0.1:$PORT/docs
Stop it with 'make stop'; 'make serve' starts it alone in the foreground.
Outputs: $RUN_DIR (lake, feature_store.db, mlflow/, bundle/)
DONE
