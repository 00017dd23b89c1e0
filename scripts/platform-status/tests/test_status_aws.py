"""`platform-status status` for a deployed market, on the moto server through AWS_ENDPOINT_URL.

The market as the release chain leaves it (docs/operations.md): the inference function's alias
`live` with a canary routing config; every published version's description holds its release
record (model version, model_sha256, image); `bundles/<model>/champion.json` in the artifacts
bucket; monitoring reports under `monitoring/reports/<time>/report.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import AS_OF, RUN_ID, write_store
from typer.testing import CliRunner

from platform_status.cli import app

FUNCTION = "credit-risk-mx-prod-inference"
ARTIFACTS = "credit-risk-mx-prod-artifacts"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk-inference@sha256:" + "a" * 64
IMAGE_2 = IMAGE.replace("a" * 64, "b" * 64)
SHA = {"1": "1" * 64, "2": "2" * 64}


def _record(model_version: str) -> str:
    record = {"release": 1, "model_version": model_version, "model_sha256": SHA[model_version]}
    image = IMAGE if model_version == "1" else IMAGE_2
    return json.dumps({**record, "image": image, "by": "ci", "why": "release"})


@pytest.fixture
def market(aws_reset: str, tmp_path: Path, registry_db: Path) -> dict[str, Any]:
    iam = boto3.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="inference", AssumeRolePolicyDocument=json.dumps(trust))
    lam = boto3.client("lambda")
    lam.create_function(
        FunctionName=FUNCTION,
        Role=role["Role"]["Arn"],
        PackageType="Image",
        Code={"ImageUri": IMAGE},
    )
    lam.publish_version(FunctionName=FUNCTION, Description=_record("1"))
    # A release publishes a version from a new image (same code is not a new version).
    lam.update_function_code(FunctionName=FUNCTION, ImageUri=IMAGE_2)
    lam.publish_version(FunctionName=FUNCTION, Description=_record("2"))
    lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=ARTIFACTS)
    put_json(s3, "bundles/credit-risk/champion.json", _pointer("1", SHA["1"]))
    write_store(tmp_path / "store.db")
    return {
        "lambda": lam,
        "s3": s3,
        "args": [
            "status",
            "--store-url",
            f"sqlite:///{tmp_path / 'store.db'}",
            "--artifacts",
            f"s3://{ARTIFACTS}",
            "--monitoring-reports",
            f"s3://{ARTIFACTS}/monitoring/reports/",
            "--today",
            AS_OF,
        ],
        "env": {
            "MLFLOW_TRACKING_URI": f"sqlite:///{registry_db}",
            "RELEASE_FUNCTION_NAME": FUNCTION,
        },
    }


def _pointer(version: str, sha: str) -> dict[str, str]:
    return {
        "model_name": "credit-risk",
        "model_version": version,
        "prefix": f"v{version}-{sha[:12]}/",
        "model_sha256": sha,
        "updated_at": "2021-01-01T00:00:00+00:00",
    }


def put_json(s3: Any, key: str, document: dict[str, Any]) -> None:
    s3.put_object(Bucket=ARTIFACTS, Key=key, Body=json.dumps(document).encode())


def run(market: dict[str, Any], *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*market["args"], *extra], env=market["env"])
    return result.exit_code, result.output


def test_a_stable_market_agrees(market: dict[str, Any]) -> None:
    put_json(
        market["s3"],
        "monitoring/reports/20210101T043000Z/report.json",
        {
            "status": "ok",
            "alerts": [],
            "now": "2021-01-01T04:30:00+00:00",
            "model": {"model_version": "1"},
        },
    )
    code, out = run(market)
    assert code == 0, out
    assert f"store        as of {AS_OF} (0 days old), run {RUN_ID}" in out
    assert f"champion.json: version 1, model_sha256 {SHA['1']}" in out
    assert f"serving      lambda {FUNCTION}:live" in out
    assert f"100.0%  model version 1, model_sha256 {SHA['1']}  [{FUNCTION}:1; image {IMAGE}]" in out
    assert "monitoring   ok at 2021-01-01T04:30:00+00:00" in out


def test_a_canary_shows_the_split_and_is_not_a_disagreement(market: dict[str, Any]) -> None:
    market["lambda"].update_alias(
        FunctionName=FUNCTION,
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    code, out = run(market)
    assert code == 0, out
    assert f" 90.0%  model version 1, model_sha256 {SHA['1']}" in out
    assert f" 10.0%  model version 2, model_sha256 {SHA['2']}" in out
    assert "canary in progress" in out


def test_an_alias_serving_another_model_than_the_champion_disagrees(
    market: dict[str, Any],
) -> None:
    market["lambda"].update_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="2")
    code, out = run(market)
    assert code == 1
    assert f"serving model version 2 ({FUNCTION}:2) but the registry's champion is version 1" in out


def test_a_champion_pointer_that_is_not_the_registrys_champion_disagrees(
    market: dict[str, Any],
) -> None:
    put_json(market["s3"], "bundles/credit-risk/champion.json", _pointer("2", SHA["2"]))
    code, out = run(market)
    assert code == 1
    assert "champion.json names model version 2 but the registry's champion is version 1" in out

    put_json(market["s3"], "bundles/credit-risk/champion.json", _pointer("1", "f" * 64))
    code, out = run(market)
    assert code == 1
    assert f"serves model_sha256 {SHA['1']} but champion.json names {'f' * 64}" in out


def test_a_missing_function_is_unreadable_not_a_pass(market: dict[str, Any]) -> None:
    code, out = run(market, "--function-name", "credit-risk-zz-prod-inference")
    assert code == 2
    assert "cannot read alias 'live' of function credit-risk-zz-prod-inference" in out
