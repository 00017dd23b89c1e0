from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
RUNTIME = Path(__file__).with_name("lambda_runtime.py")
CODEDEPLOY_STANDIN = (
    Path(__file__).resolve().parents[2] / "scripts/release-tool/tests/codedeploy_standin.py"
)


def load_codedeploy_standin() -> Any:
    """The CodeDeploy stand-in of the release-tool tests (moto does not execute deployments);
    loaded by path until it moves into the shared test kit."""
    spec = importlib.util.spec_from_file_location("codedeploy_standin", CODEDEPLOY_STANDIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def run_cli(*args: str, env: dict[str, str] | None = None, expect: int = 0) -> str:
    """Run one of the platform's console commands the way an operator or a pipeline would."""
    command = [str(BIN / args[0]), *args[1:]]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=900,
        check=False,
    )
    if proc.returncode != expect:
        pytest.fail(
            f"{' '.join(args[:2])} exited {proc.returncode} (expected {expect})\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


def api_gateway_v2_event(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event as API Gateway delivers it to Lambda."""
    raw = json.dumps(body) if body is not None else ""
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "content-length": str(len(raw)),
            "content-type": "application/json",
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "user-agent": "e2e",
            "x-forwarded-for": "192.0.2.10",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": "e2e",
            },
            "requestId": "e2e-request",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "26/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795694400000,
        },
        "body": raw,
        "isBase64Encoded": False,
    }


def invoke_lambda_version(
    events: list[dict[str, Any]], bundle_dir: Path, store_url: str
) -> list[dict[str, Any]]:
    """Run the real handler of one Lambda version on `events` (see lambda_runtime.py)."""
    env = {
        **os.environ,
        "MODEL_BUNDLE_DIR": str(bundle_dir),
        "FEATURE_STORE_URL": store_url,
        "CUSTOMER_REF_KEY": "e2e-customer-ref-key-0123456789abcdef",
    }
    proc = subprocess.run(
        [sys.executable, str(RUNTIME)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0 or "@@RESPONSES@@" not in proc.stdout:
        pytest.fail(f"Lambda runtime failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    responses: list[dict[str, Any]] = json.loads(proc.stdout.split("@@RESPONSES@@", 1)[1])
    return responses
