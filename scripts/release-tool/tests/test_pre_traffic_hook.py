"""The BeforeAllowTraffic hook, in process: canned CodeDeploy event, recorded responses of the
inference handler (moto's Lambda Invoke needs Docker; the e2e flow can run the real handler),
CodeDeploy = the stand-in, the version's release record read from moto's Lambda."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from conftest import FUNCTION_NAME, IMAGE_V2, KNOWN_CUSTOMER, MODEL_2, SHA_2, Market, recorded
from mangum import Mangum
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from release_tool import pre_traffic_hook
from release_tool.cli import TargetOptions, build_release


def start_deployment(market: Market, model_sha256: str | None = SHA_2) -> str:
    release = build_release(TargetOptions(function_name=FUNCTION_NAME, pre_traffic_hook="none"))
    release.deploy(IMAGE_V2, MODEL_2, model_sha256)
    return release.canary().deployment_id


def run(market: Market, deployment_id: str, **overrides: Any) -> dict[str, Any]:
    event = {
        **recorded("codedeploy_before_allow_traffic.json"),
        "DeploymentId": deployment_id,
        "LifecycleEventHookExecutionId": market.codedeploy.open_hook_execution(deployment_id),
    }
    options: dict[str, Any] = {
        "codedeploy": boto3.client("codedeploy", endpoint_url=market.codedeploy.endpoint),
        "lambda_client": market.lambda_client,
        "invoke": market.invoker,
        "customer_id": KNOWN_CUSTOMER,
        "allowed_function": FUNCTION_NAME,
        **overrides,
    }
    report = pre_traffic_hook.run_hook(event, **options)
    reported = market.codedeploy.deployments[deployment_id].hook_status
    assert reported[event["LifecycleEventHookExecutionId"]] == report["status"]
    return report


def failed_checks(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["detail"] for check in report["checks"] if not check["ok"]}


def test_a_healthy_version_passes_with_real_http_api_events(market: Market) -> None:
    report = run(market, start_deployment(market))

    assert report["status"] == "Succeeded", report
    assert report["target"] == {"function_name": FUNCTION_NAME, "version": "2"}
    sent = [(function, qualifier, event) for function, qualifier, event in market.invoker.calls]
    assert [(f, q, e["requestContext"]["http"]["method"], e["rawPath"]) for f, q, e in sent] == [
        (FUNCTION_NAME, "2", "GET", "/ready"),
        (FUNCTION_NAME, "2", "GET", "/version"),
        (FUNCTION_NAME, "2", "POST", "/predict"),
    ]
    assert json.loads(sent[2][2]["body"]) == {"id": KNOWN_CUSTOMER}
    assert all(event["version"] == "2.0" for _, _, event in sent)


@pytest.mark.parametrize(
    ("path", "response", "check", "detail"),
    [
        ("/ready", "inference_ready_store_down.json", "ready", "503"),
        ("/predict", "inference_predict_unknown_customer.json", "score", "404"),
        ("/version", "lambda_invoke_unhandled_error.json", "version", "does not match"),
    ],
)
def test_a_failing_check_fails_the_hook(
    market: Market, path: str, response: str, check: str, detail: str
) -> None:
    market.invoker.responses[path] = recorded(response)

    report = run(market, start_deployment(market))

    assert report["status"] == "Failed"
    assert check in failed_checks(report)
    assert detail in failed_checks(report)[check]


def test_a_version_serving_another_bundle_fails_the_hook(market: Market) -> None:
    other_sha = "0" * 64
    report = run(market, start_deployment(market, model_sha256=other_sha))

    assert report["status"] == "Failed"
    assert set(failed_checks(report)) == {"version"}
    assert "expected 2 000000000000" in failed_checks(report)["version"]


def test_a_version_without_recorded_expectations_fails_the_hook(market: Market) -> None:
    report = run(market, start_deployment(market, model_sha256=None))

    assert report["status"] == "Failed"
    assert "no recorded model_sha256" in failed_checks(report)["error"]
    assert market.invoker.calls == []  # nothing to compare against: not even invoked


def test_the_hook_checks_only_its_own_function(market: Market) -> None:
    report = run(market, start_deployment(market), allowed_function="another-function")

    assert report["status"] == "Failed"
    assert "checks another-function" in failed_checks(report)["error"]


def test_an_invoke_that_raises_still_reports_failed(market: Market) -> None:
    def broken(function: str, qualifier: str, event: dict[str, Any]) -> dict[str, Any]:
        raise ConnectionError("lambda endpoint unreachable")

    report = run(market, start_deployment(market), invoke=broken)

    assert report["status"] == "Failed"
    assert "ConnectionError" in failed_checks(report)["error"]


def test_the_events_are_what_mangum_routes_like_api_gateway_requests() -> None:
    """The inference service runs FastAPI under Mangum: the hook's events must route there."""

    async def echo(request: Request) -> JSONResponse:
        body = await request.json() if request.method == "POST" else None
        return JSONResponse({"method": request.method, "path": request.url.path, "body": body})

    app = Starlette(
        routes=[Route(p, echo, methods=["GET", "POST"]) for p in ("/ready", "/predict")]
    )
    handler = Mangum(app, lifespan="off")

    for method, path, body in [("GET", "/ready", None), ("POST", "/predict", {"id": "7"})]:
        status, answer = pre_traffic_hook.decode_response(
            handler(pre_traffic_hook.http_event(method, path, body), None)
        )
        assert (status, answer) == (200, {"method": method, "path": path, "body": body})


def test_the_lambda_invoker_calls_the_target_version_synchronously() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    event = pre_traffic_hook.http_event("GET", "/ready", None)
    ready = recorded("inference_ready.json")
    crash = recorded("lambda_invoke_unhandled_error.json")
    with Stubber(client) as stub:
        expected = {
            "FunctionName": FUNCTION_NAME,
            "Qualifier": "7",
            "InvocationType": "RequestResponse",
            "Payload": json.dumps(event).encode(),
        }
        stub.add_response(
            "invoke",
            {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(ready).encode())},
            expected,
        )
        stub.add_response(
            "invoke",
            {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps(crash).encode()),
            },
            expected,
        )
        invoke = pre_traffic_hook.lambda_invoker(client)

        assert invoke(FUNCTION_NAME, "7", event) == ready
        assert pre_traffic_hook.decode_response(invoke(FUNCTION_NAME, "7", event))[0] == 0


def test_the_hook_ships_as_one_file_on_the_runtimes_boto3() -> None:
    """ci/scripts/upload-release-hook.sh zips this one file: it may import only the standard
    library and boto3/botocore (which the Lambda Python runtime provides)."""
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(pre_traffic_hook.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if not isinstance(node, ast.ImportFrom) or node.module
    }
    assert imported - {"__future__"} <= set(sys.stdlib_module_names) | {"boto3", "botocore"}
    assert "release_tool" not in imported
