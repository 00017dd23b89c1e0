"""The image, booted from the file tree its Dockerfile builds (no Docker here).

platform_testkit assembles the tree from the Dockerfile itself (the hashed lock installed for
manylinux x86_64 / CPython 3.11, wheels only; the package and the bundle COPYed where the
Dockerfile puts them) and starts the image's ENTRYPOINT + CMD (`python -m awslambdaric
inference_service.handler.handler`) in `python -I -S`, which sees only that tree and the
standard library. The runtime client polls a local Lambda Runtime API, as on Lambda: the first
event is the cold start, the next ones reuse the environment.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from isvc_support import (
    CUSTOMER_REF_KEY,
    KNOWN_CUSTOMERS,
    TrainedBundle,
    create_sqlite_store,
    expected_customer_ref,
    prediction_lines,
)

from platform_testkit.image_tree import ImageTree
from platform_testkit.lambda_runtime import LambdaRuntimeApi

SERVICE = Path(__file__).resolve().parents[1]
EVENTS = Path(__file__).parent / "events"


@pytest.fixture(scope="module")
def image(image_tree: Callable[..., ImageTree], trained_bundle: TrainedBundle) -> ImageTree:
    # Build context: this folder (the Dockerfile's header; infra/tests check the pipeline's),
    # with the bundle where the image build expects it, as ci/scripts/fetch-bundle.sh puts it.
    return image_tree(
        SERVICE / "Dockerfile", SERVICE, context_overlay={"bundle": trained_bundle.directory}
    )


@pytest.fixture
def running(image: ImageTree, tmp_path: Path) -> Iterator[tuple[LambdaRuntimeApi, Path]]:
    store = create_sqlite_store(tmp_path / "features.db")
    log = tmp_path / "runtime.log"
    with LambdaRuntimeApi() as api:
        env = {
            **api.environment(),
            "AWS_LAMBDA_FUNCTION_VERSION": "7",
            "FEATURE_STORE_URL": f"sqlite:///{store}",
            "CUSTOMER_REF_KEY": CUSTOMER_REF_KEY,
        }
        process = image.start(env, log=log)
        try:
            yield api, log
        finally:
            process.terminate()
            process.wait(timeout=10)


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_the_tree_is_all_the_interpreter_sees(image: ImageTree) -> None:
    report = image.isolation_report()
    assert report["flags"] == [1, 1]
    assert report["host_modules"] == []  # neither pytest nor the test kit of the host venv
    assert report["foreign"] == []  # sys.path: the tree and the standard library only
    handler_file = image.probe("import inference_service.handler as h; print(h.__file__)")
    assert handler_file.startswith(str(image.host_path("/var/task/inference_service")))


def test_warmup_ping_and_http_api_v2_event(
    running: tuple[LambdaRuntimeApi, Path], trained_bundle: TrainedBundle
) -> None:
    api, log = running
    ping = api.invoke({"warmup": True})
    assert ping.ok, ping
    assert ping.payload == {"warm": True, "model_version": trained_bundle.metadata["model_version"]}

    answer = api.invoke(_event("apigw_http_v2_predict.json"))
    assert answer.ok, answer
    response = answer.payload
    assert response["statusCode"] == 200
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    prediction = json.loads(body)
    assert prediction["id"] == "5008832"
    expected = trained_bundle.reference_proba([KNOWN_CUSTOMERS[5008832]])[0]
    assert prediction["probability"] == pytest.approx(float(expected), abs=1e-5)

    invalid = api.invoke(_event("apigw_http_v2_invalid.json"))
    assert invalid.ok
    assert invalid.payload["statusCode"] == 422

    output = log.read_text()
    (line,) = prediction_lines(output)
    assert line["customer_ref"] == expected_customer_ref(5008832)
    assert "5008832" not in output
