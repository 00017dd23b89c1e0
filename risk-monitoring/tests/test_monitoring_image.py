"""The monitoring image, booted from the file tree its Dockerfile builds (no Docker here).

platform_testkit assembles the tree from the Dockerfile itself (its hashed lock installed for
manylinux x86_64 / CPython 3.11, wheels only; the package COPYed where the Dockerfile puts it)
and starts ENTRYPOINT + CMD (`python -m awslambdaric risk_monitoring.lambda_handler.handler`)
in `python -I -S`, which sees only that tree and the standard library. The runtime client polls
a local Lambda Runtime API and receives EventBridge's scheduled event; S3 and Secrets Manager
are the session's emulator, reached through the tree's own boto3.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from test_monitoring_lambda import ARTIFACTS, NOW, deployment, event, put_day, served

from platform_testkit.image_tree import ImageTree
from platform_testkit.lambda_runtime import LambdaRuntimeApi

REPO = Path(__file__).resolve().parents[2]
SERVICE = REPO / "risk-monitoring"
__all__ = ["deployment"]  # the fixture, shared with the in-process handler tests


@pytest.fixture(scope="module")
def image(image_tree: Callable[..., ImageTree]) -> ImageTree:
    # Build context: the repository root (the Dockerfile's header; infra/tests check the
    # pipeline builds it that way).
    return image_tree(SERVICE / "Dockerfile", REPO)


def test_the_tree_is_all_the_interpreter_sees(image: ImageTree) -> None:
    report = image.isolation_report()
    assert report["flags"] == [1, 1]
    assert report["host_modules"] == []
    assert report["foreign"] == []
    located = image.probe("import risk_monitoring, scipy; print(risk_monitoring.__file__)")
    assert located.startswith(str(image.host_path("/var/task/risk_monitoring")))


def test_scheduled_event_runs_the_job(image: ImageTree, deployment: dict, tmp_path: Path) -> None:
    put_day(served(deployment))
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    log = tmp_path / "runtime.log"
    with LambdaRuntimeApi() as api:
        secret = {"CUSTOMER_REF_KEY_SECRET_ARN": os.environ["CUSTOMER_REF_KEY_SECRET_ARN"]}
        process = image.start({**api.environment(), **aws, **secret}, log=log)
        try:
            result = api.invoke(event("scheduled-run", now=NOW, online_store_url=None), timeout=120)
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert result.ok, f"{result.payload}\n{log.read_text()}"
    assert result.payload["exit_code"] == 0
    assert result.payload["predictions"] == 400
    report = json.loads(
        boto3.client("s3")
        .get_object(Bucket=ARTIFACTS, Key="monitoring/reports/20261126T043000Z/report.json")["Body"]
        .read()
    )
    skew = report["checks"]["skew"]["details"]
    assert (skew["compared"], skew["mismatched_rows"]) == (400, 0)
    html = boto3.client("s3").head_object(
        Bucket=ARTIFACTS, Key="monitoring/reports/20261126T043000Z/report.html"
    )
    assert html["ContentLength"] > 0
