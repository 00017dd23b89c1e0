"""The serving path stays lean: no training stack, no AWS SDK unless a secret must be fetched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from isvc_support import CUSTOMER_REF_KEY, TrainedBundle

EVENT = Path(__file__).parent / "events" / "apigw_http_v2_predict.json"

# Imported by the handler, answers one real event, then lists the top-level modules loaded.
PROBE = f"""
import json, sys, types
from inference_service.handler import handler
event = json.load(open({str(EVENT)!r}))
context = types.SimpleNamespace(aws_request_id="probe-1")
response = handler(event, context)
assert response["statusCode"] == 200, response
print("MODULES=" + json.dumps(sorted(sys.modules)))
"""

NEVER_ON_SERVING_PATH = {
    "sklearn",
    "pandas",
    "mlflow",
    "skl2onnx",
    "onnx",  # the ONNX Python package (protobuf model editing); onnxruntime is what serves
    "pyspark",
    "matplotlib",
    "scipy",
    "typer",
    "uvicorn",
    "feature_pipeline",
    "model_training",
}


def _loaded_modules(trained_bundle: TrainedBundle, sqlite_store: Path) -> set[str]:
    env = {
        **os.environ,
        "FEATURE_STORE_URL": f"sqlite:///{sqlite_store}",
        "MODEL_BUNDLE_DIR": str(trained_bundle.directory),
        "CUSTOMER_REF_KEY": CUSTOMER_REF_KEY,
    }
    env.pop("CUSTOMER_REF_KEY_SECRET_ARN", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def _top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_serving_path_imports(trained_bundle: TrainedBundle, sqlite_store: Path) -> None:
    modules = _loaded_modules(trained_bundle, sqlite_store)
    loaded = _top_level(modules)

    assert {"fastapi", "mangum", "onnxruntime", "sqlalchemy"} <= loaded  # the probe is real
    assert loaded.isdisjoint(NEVER_ON_SERVING_PATH), loaded & NEVER_ON_SERVING_PATH
    # boto3 is only needed for IAM tokens and the key's secret; psycopg2 only for PostgreSQL.
    # (Powertools imports the bare botocore package for its user agent: ~2 ms, no clients.)
    assert "boto3" not in loaded
    assert "botocore.client" not in modules
    assert "botocore.session" not in modules
    assert "psycopg2" not in loaded
    # The asyncio driver and engine serve a concurrent server only; Lambda never loads them.
    assert "psycopg" not in loaded
    assert "sqlalchemy.ext.asyncio" not in modules
