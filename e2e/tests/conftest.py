from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

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
