"""The real Lambda handler, in-process, fed API Gateway REST (v1) and HTTP API (v2) events.

Only the Lambda runtime is stood in for (it needs Docker here): the context object below carries
the attributes the runtime's LambdaContext has. The events are full payloads as AWS documents
them; see tests/events/.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from isvc_support import (
    CUSTOMER_REF_KEY,
    FEATURE_NAMES,
    KNOWN_CUSTOMERS,
    TrainedBundle,
    expected_customer_ref,
    prediction_lines,
)

EVENTS = Path(__file__).parent / "events"


@dataclass
class FakeLambdaContext:
    aws_request_id: str
    function_name: str = "credit-risk-inference"
    function_version: str = "$LATEST"
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:credit-risk-inference"
    )
    memory_limit_in_mb: int = 512
    log_group_name: str = "/aws/lambda/credit-risk-inference"
    log_stream_name: str = "2026/11/26/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def lambda_environment(
    trained_bundle: TrainedBundle, sqlite_store: Path, monkeypatch: pytest.MonkeyPatch
) -> pytest.MonkeyPatch:
    monkeypatch.setenv("FEATURE_STORE_URL", f"sqlite:///{sqlite_store}")
    monkeypatch.setenv("MODEL_BUNDLE_DIR", str(trained_bundle.directory))
    monkeypatch.setenv("CUSTOMER_REF_KEY", CUSTOMER_REF_KEY)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
    monkeypatch.delenv("API_KEY", raising=False)
    return monkeypatch


def _fresh_import() -> ModuleType:
    # A fresh import is a fresh Lambda execution environment: INIT reads the environment.
    for name in ("inference_service.handler", "inference_service.main"):
        sys.modules.pop(name, None)
    return importlib.import_module("inference_service.handler")


@pytest.fixture
def handler_module(lambda_environment: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    module = _fresh_import()
    yield module
    if module.app.state.resources is not None:
        asyncio.run(module.app.state.resources.aclose())
    for name in ("inference_service.handler", "inference_service.main"):
        sys.modules.pop(name, None)


def _invoke(module: ModuleType, event_name: str, request_id: str) -> dict[str, Any]:
    response = module.handler(_event(event_name), FakeLambdaContext(aws_request_id=request_id))
    assert isinstance(response, dict)
    return response


def _json_body(response: dict[str, Any]) -> Any:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)


def test_rest_v1_predict(
    handler_module: ModuleType, trained_bundle: TrainedBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = _invoke(handler_module, "apigw_rest_v1_predict.json", "req-v1-0001")

    assert response["statusCode"] == 200
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-request-id"] == "req-v1-0001"
    body = _json_body(response)
    expected = trained_bundle.reference_proba([KNOWN_CUSTOMERS[5008827]])[0]
    assert body["id"] == "5008827"
    assert body["probability"] == pytest.approx(float(expected), abs=1e-5)

    out = capsys.readouterr().out
    lines = prediction_lines(out)
    assert [line["request_id"] for line in lines] == ["req-v1-0001"]
    assert lines[0]["customer_ref"] == expected_customer_ref(5008827)
    assert "5008827" not in out
    # The handler flushes EMF after each invocation: Lambda may freeze right after returning.
    emf = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    assert len(emf) == 1
    directive = emf[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "CreditRisk"
    assert {m["Name"] for m in directive["Metrics"]} >= {"Predictions", "PredictionLatency"}
    assert emf[0]["Predictions"] in (1.0, [1.0])
    assert sorted(directive["Dimensions"][0]) == ["function_version", "service"]
    assert emf[0]["function_version"] == "7"
    assert emf[0]["model_version"] == trained_bundle.metadata["model_version"]


def test_rest_v1_get_with_path_parameter(handler_module: ModuleType) -> None:
    response = _invoke(handler_module, "apigw_rest_v1_features.json", "req-v1-0002")
    assert response["statusCode"] == 200
    body = _json_body(response)
    assert body["features"] == dict(zip(FEATURE_NAMES, KNOWN_CUSTOMERS[5008900], strict=True))


def test_http_v2_base64_body(handler_module: ModuleType, trained_bundle: TrainedBundle) -> None:
    response = _invoke(handler_module, "apigw_http_v2_predict.json", "req-v2-0001")
    assert response["statusCode"] == 200
    body = _json_body(response)
    assert body["id"] == "5008832"
    expected = trained_bundle.reference_proba([KNOWN_CUSTOMERS[5008832]])[0]
    assert body["probability"] == pytest.approx(float(expected), abs=1e-5)


def test_http_v2_batch(handler_module: ModuleType) -> None:
    response = _invoke(handler_module, "apigw_http_v2_batch.json", "req-v2-0002")
    assert response["statusCode"] == 200
    body = _json_body(response)
    assert [r["id"] for r in body["results"]] == ["5008827", "1"]
    assert body["not_found"] == ["31337"]


def test_http_v2_invalid_input_is_422_json(handler_module: ModuleType) -> None:
    response = _invoke(handler_module, "apigw_http_v2_invalid.json", "req-v2-0003")
    assert response["statusCode"] == 422
    body = _json_body(response)
    assert body["request_id"] == "req-v2-0003"
    assert body["detail"][0]["loc"] == ["body", "id"]


def test_warm_invocations_reuse_the_loaded_model(handler_module: ModuleType) -> None:
    resources = handler_module.app.state.resources
    for i in range(3):
        response = _invoke(handler_module, "apigw_http_v2_predict.json", f"warm-{i}")
        assert response["statusCode"] == 200
    assert handler_module.app.state.resources is resources


def test_store_outage_through_the_handler(handler_module: ModuleType, sqlite_store: Path) -> None:
    moved = sqlite_store.with_suffix(".away")
    sqlite_store.rename(moved)
    try:
        down = _invoke(handler_module, "apigw_rest_v1_predict.json", "req-down")
        assert down["statusCode"] == 503
        assert _json_body(down)["detail"] == "feature store unavailable, retry later"
    finally:
        moved.rename(sqlite_store)
    assert _invoke(handler_module, "apigw_rest_v1_predict.json", "req-up")["statusCode"] == 200


def test_scheduled_warmup_ping_is_answered_without_a_prediction(
    handler_module: ModuleType,
    trained_bundle: TrainedBundle,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    answer = handler_module.handler({"warmup": True}, FakeLambdaContext(aws_request_id="warm-1"))
    assert answer == {"warm": True, "model_version": trained_bundle.metadata["model_version"]}
    assert prediction_lines(capsys.readouterr().out) == []


def test_failed_start_up_answers_json_503_and_recovers(
    lambda_environment: pytest.MonkeyPatch,
    trained_bundle: TrainedBundle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    import inference_service.main

    bundle = tmp_path / "bundle"
    lambda_environment.setenv("MODEL_BUNDLE_DIR", str(bundle))  # not there yet
    capsys.readouterr()
    module = _fresh_import()  # INIT does not raise
    try:
        down = _invoke(module, "apigw_rest_v1_predict.json", "req-broken")
        assert down["statusCode"] == 503
        headers = {k.lower(): v for k, v in down["headers"].items()}
        assert headers["content-type"] == "application/json"
        assert headers["retry-after"] == "5"
        assert _json_body(down)["detail"] == "service unavailable: start-up failed (BundleError)"
        warm = module.handler({"warmup": True}, FakeLambdaContext(aws_request_id="w"))
        assert warm == {"warm": False, "startup_error": "BundleError"}
        errors = [
            json.loads(line)
            for line in capsys.readouterr().err.splitlines()
            if '"start-up failed' in line
        ]
        assert errors
        assert errors[0]["level"] == "ERROR"

        shutil.copytree(trained_bundle.directory, bundle)  # the cause goes away
        lambda_environment.setattr(inference_service.main, "STARTUP_RETRY_SECONDS", 0)
        module.app.state.next_startup_attempt = 0.0
        assert _invoke(module, "apigw_rest_v1_predict.json", "req-ok")["statusCode"] == 200
    finally:
        if module.app.state.resources is not None:
            asyncio.run(module.app.state.resources.aclose())
        for name in ("inference_service.handler", "inference_service.main"):
            sys.modules.pop(name, None)
