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
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from isvc_postgres import STORE_DDL
from isvc_support import (
    AS_OF,
    CUSTOMER_REF_KEY,
    KNOWN_CUSTOMERS,
    RUN_ID,
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


@contextmanager
def booted(image: ImageTree, log: Path, **settings: str) -> Iterator[LambdaRuntimeApi]:
    """The image's entry point serving a local Lambda Runtime API, configured like the function."""
    with LambdaRuntimeApi() as api:
        env = {
            **api.environment(),
            "AWS_LAMBDA_FUNCTION_VERSION": "7",
            "CUSTOMER_REF_KEY": CUSTOMER_REF_KEY,
            **settings,
        }
        process = image.start(env, log=log)
        try:
            yield api
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def running(image: ImageTree, tmp_path: Path) -> Iterator[tuple[LambdaRuntimeApi, Path]]:
    store = create_sqlite_store(tmp_path / "features.db")
    log = tmp_path / "runtime.log"
    with booted(image, log, FEATURE_STORE_URL=f"sqlite:///{store}") as api:
        yield api, log


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def _body(response: dict[str, Any]) -> Any:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)


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
    assert answer.payload["statusCode"] == 200
    prediction = _body(answer.payload)
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


def test_the_production_store_path_postgres_over_tls_with_an_iam_token(
    image: ImageTree, postgres_role_url: Any, trained_bundle: TrainedBundle, tmp_path: Path
) -> None:
    """FEATURE_STORE_AUTH=iam as deployed: a token minted per connection by the tree's boto3,
    verify-full TLS by the tree's psycopg2, as the read-only `inference` role."""
    import psycopg2

    pipeline = psycopg2.connect(postgres_role_url("feature_pipeline").replace("+psycopg2", ""))
    with pipeline, pipeline.cursor() as cursor:
        cursor.execute(STORE_DDL)
        for customer, features in KNOWN_CUSTOMERS.items():
            cursor.execute(
                "INSERT INTO customer_features VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (customer, *features, AS_OF, "2024-06-01", RUN_ID),
            )
    pipeline.close()
    credentials = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    settings = {"FEATURE_STORE_URL": postgres_role_url("inference"), "FEATURE_STORE_AUTH": "iam"}
    with booted(image, tmp_path / "runtime.log", **credentials, **settings) as api:
        answer = api.invoke(_event("apigw_http_v2_predict.json"))
    assert answer.ok, answer
    assert answer.payload["statusCode"] == 200, answer.payload
    expected = trained_bundle.reference_proba([KNOWN_CUSTOMERS[5008832]])[0]
    assert _body(answer.payload)["probability"] == pytest.approx(float(expected), abs=1e-5)
    (line,) = prediction_lines((tmp_path / "runtime.log").read_text())
    assert line["store_run_id"] == RUN_ID
