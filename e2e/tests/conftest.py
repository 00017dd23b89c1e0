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


REST_EVENT = (
    Path(__file__).resolve().parents[2]
    / "inference-service/tests/events/apigw_rest_v1_predict.json"
)


def api_gateway_rest_event(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0) as the market's API Gateway delivers it to Lambda:
    the inference service's canned event with this request's method, path and body."""
    event: dict[str, Any] = json.loads(REST_EVENT.read_text())
    event.update(
        httpMethod=method,
        path=path,
        resource="/{proxy+}",
        pathParameters={"proxy": path.lstrip("/")},
        body=json.dumps(body) if body is not None else None,
    )
    event["requestContext"].update(
        httpMethod=method,
        resourcePath="/{proxy+}",
        path=f"/{event['requestContext']['stage']}{path}",
    )
    return event
