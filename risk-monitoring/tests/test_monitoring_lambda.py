"""The Lambda handler driven in-process with the events EventBridge sends (tests/events/) on the
moto server: S3 for logs, bundle, lake and reports; Secrets Manager for the customer_ref key."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from monitoring_factories import (
    LOG_DAY,
    REF_KEY,
    STORE_RUN,
    draw_features,
    emf_documents,
    metadata_document,
    prediction_records,
)
from monitoring_stores import lake_run_files, rows_from_columns

from risk_monitoring import lambda_handler
from risk_monitoring.errors import InputError
from risk_monitoring.lambda_handler import MonitoringAlertError, handler

EVENTS = Path(__file__).parent / "events"
FEATURES, ARTIFACTS = "credit-risk-mx-prod-features", "credit-risk-mx-prod-artifacts"
NOW = "2026-11-26T04:30:00+00:00"


def event(name: str, **changes: Any) -> dict[str, Any]:
    loaded = json.loads((EVENTS / f"{name}.json").read_text())
    loaded.update(changes)
    return {key: value for key, value in loaded.items() if value is not None}


def put_day(records: list[dict], day: str = "2026-11-25") -> None:
    half = len(records) // 2
    s3 = boto3.client("s3")
    for name, part in (("a", records[:half]), ("b", records[half:])):
        body = gzip.compress(("\n".join(json.dumps(r) for r in part) + "\n").encode())
        s3.put_object(Bucket=FEATURES, Key=f"predictions/{day}/{name}.jsonl.gz", Body=body)
    s3.put_object(Bucket=FEATURES, Key=f"predictions/{day}/README", Body=b"not a log")


@pytest.fixture
def deployment(aws_reset: str, monkeypatch: pytest.MonkeyPatch) -> dict[int, dict]:
    """Buckets, the champion bundle (versioned prefix + champion.json), a committed lake run and
    the key in Secrets Manager."""
    s3 = boto3.client("s3")
    for bucket in (FEATURES, ARTIFACTS):
        s3.create_bucket(Bucket=bucket)
    # Published as model-training does: a versioned prefix, then the champion pointer.
    bundle = metadata_document()
    version = f"v{bundle['model_version']}-{bundle['model_sha256'][:12]}/"
    s3.put_object(
        Bucket=ARTIFACTS, Key=f"bundles/credit-risk/{version}metadata.json", Body=json.dumps(bundle)
    )
    pointer = {
        "model_name": "credit-risk",
        "model_version": bundle["model_version"],
        "prefix": version,
        "model_sha256": bundle["model_sha256"],
        "updated_at": "2026-11-20T10:00:00+00:00",
    }
    s3.put_object(
        Bucket=ARTIFACTS, Key="bundles/credit-risk/champion.json", Body=json.dumps(pointer)
    )
    rows = rows_from_columns(draw_features(np.random.default_rng(4), 400))
    for name, payload in lake_run_files(rows, STORE_RUN, date(2026, 11, 24)).items():
        s3.put_object(Bucket=FEATURES, Key=f"features/{name}", Body=payload)
    secret = boto3.client("secretsmanager").create_secret(Name="ref-key", SecretString=REF_KEY)
    monkeypatch.delenv("CUSTOMER_REF_KEY")
    monkeypatch.setenv("CUSTOMER_REF_KEY_SECRET_ARN", secret["ARN"])
    return rows


def served(rows: dict[int, dict], seed: int = 4) -> list[dict]:
    columns = {
        name: np.array([np.nan if r[name] is None else r[name] for r in rows.values()])
        for name in next(iter(rows.values()))
    }
    return prediction_records(columns, seed=seed, customer_ids=list(rows))


def test_scheduled_run_reads_s3_compares_the_lake_and_writes_reports(
    deployment: dict,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    put_day(served(deployment))
    response = handler(event("scheduled-run", now=NOW, online_store_url=None), lambda_context)
    assert response["exit_code"] == 0, response
    assert response["predictions"] == 400
    assert response["report_uri"] == (
        f"s3://{ARTIFACTS}/monitoring/reports/20261126T043000Z/report.json"
    )
    report = json.loads(
        boto3.client("s3")
        .get_object(Bucket=ARTIFACTS, Key="monitoring/reports/20261126T043000Z/report.json")["Body"]
        .read()
    )
    assert len(report["input"]["log_files"]) == 2  # README skipped: not a log object
    skew = report["checks"]["skew"]["details"]
    assert (skew["compared"], skew["mismatched_rows"]) == (400, 0)
    output = capsys.readouterr().out
    model = next(d for d in emf_documents(output) if "SkewMismatchRate" in d)
    assert model["SkewMismatchRate"] == 0.0
    (record,) = [r for r in caplog.records if r.name == "risk-monitoring"]
    log = json.loads(lambda_handler.logger.registered_formatter.format(record))
    assert log["message"] == "monitoring job finished"
    assert log["function_request_id"] == lambda_context.aws_request_id
    assert log["exit_code"] == 0


def test_the_run_can_fail_on_alert_after_writing_outputs(
    deployment: dict, lambda_context: Any
) -> None:
    records = served(deployment)
    for record in records:
        record["features"]["flag_own_car"] = 1
    put_day(records)
    with pytest.raises(MonitoringAlertError, match="drift"):
        handler(
            event("scheduled-run", now=NOW, online_store_url=None, fail_on_alert=True),
            lambda_context,
        )
    listing = boto3.client("s3").list_objects_v2(Bucket=ARTIFACTS, Prefix="monitoring/reports/")
    assert sorted(item["Key"] for item in listing["Contents"]) == [
        "monitoring/reports/20261126T043000Z/report.html",
        "monitoring/reports/20261126T043000Z/report.json",
    ]


def test_outcomes_event_writes_labels_without_raw_ids(
    deployment: dict, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    records = served(deployment)
    for record in records:
        record["timestamp"] = record["timestamp"].replace("2026-11-25", "2026-09-10")
    put_day(records, day="2026-09-10")
    lines = ["customer_id,application_date,defaulted"] + [
        f"{customer},2026-09-12,{i % 3 == 0:d}" for i, customer in enumerate(deployment)
    ]
    boto3.client("s3").put_object(
        Bucket=ARTIFACTS, Key="outcomes/repayments-2026-09.csv", Body="\n".join(lines).encode()
    )
    response = handler(event("outcomes", now="2026-12-01T06:00:00+00:00"), lambda_context)
    assert response["labelled"] == 400
    labels_key = response["labels_uri"].removeprefix(f"s3://{ARTIFACTS}/")
    labels = boto3.client("s3").get_object(Bucket=ARTIFACTS, Key=labels_key)["Body"].read()
    assert labels.count(b"\n") == 401
    assert not any(str(customer).encode() in labels for customer in deployment)
    documents = emf_documents(capsys.readouterr().out)
    assert any(d.get("LabelledPredictionCount") == 400.0 for d in documents)


@pytest.mark.parametrize(
    ("key", "way_forward"),
    [
        ("store_secret_arn", "store_auth=iam"),
        ("outcomes", "'labels' file"),
        ("recompute_store_url", "set 'lake'"),
    ],
)
def test_retired_event_keys_are_refused_with_the_way_forward(
    key: str, way_forward: str, lambda_context: Any
) -> None:
    with pytest.raises(InputError, match=way_forward):
        handler(event("scheduled-run", **{key: "s3://x/y"}), lambda_context)


def test_an_unknown_command_is_refused(lambda_context: Any) -> None:
    with pytest.raises(InputError, match="unknown command 'rerun'"):
        handler(event("scheduled-run", command="rerun"), lambda_context)


def test_a_day_without_objects_fails_the_run(deployment: dict, lambda_context: Any) -> None:
    """No traffic (or no delivery) yesterday: the run fails loudly (the job-errors alarm) instead
    of reporting nothing."""
    put_day(served(deployment), day=LOG_DAY.date().isoformat().replace("25", "26"))
    with pytest.raises(
        InputError, match=f"no log objects under s3://{FEATURES}/predictions/2026-11-25/"
    ):
        handler(event("scheduled-run", now=NOW, online_store_url=None), lambda_context)


def test_a_champion_pointer_that_disagrees_with_its_bundle_is_refused(
    deployment: dict, lambda_context: Any
) -> None:
    """A pointer half-moved by hand (another hash than its bundle's) is refused by name."""
    put_day(served(deployment))
    s3 = boto3.client("s3")
    pointer = json.loads(
        s3.get_object(Bucket=ARTIFACTS, Key="bundles/credit-risk/champion.json")["Body"].read()
    )
    pointer["model_sha256"] = "f" * 64
    s3.put_object(
        Bucket=ARTIFACTS, Key="bundles/credit-risk/champion.json", Body=json.dumps(pointer)
    )
    with pytest.raises(InputError, match=r"champion\.json names model 3"):
        handler(event("scheduled-run", now=NOW, online_store_url=None), lambda_context)
    pointer["prefix"] = "v9-000000000000/"
    pointer["model_sha256"] = "0" * 64
    s3.put_object(
        Bucket=ARTIFACTS, Key="bundles/credit-risk/champion.json", Body=json.dumps(pointer)
    )
    with pytest.raises(InputError, match=r"v9-000000000000/metadata\.json"):
        handler(event("scheduled-run", now=NOW, online_store_url=None), lambda_context)
