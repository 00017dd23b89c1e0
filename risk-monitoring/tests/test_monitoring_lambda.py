from __future__ import annotations

import gzip
import json

import boto3
import numpy as np
import pytest
from monitoring_factories import draw_features, metadata_document, prediction_records

from risk_monitoring.lambda_handler import MonitoringAlertError, handler


def put_inputs(features: dict[str, np.ndarray]) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="logs")
    records = prediction_records(features, seed=4)
    half = len(records) // 2
    for name, part in (("a", records[:half]), ("b", records[half:])):
        body = gzip.compress(("\n".join(json.dumps(r) for r in part) + "\n").encode())
        s3.put_object(Bucket="logs", Key=f"predictions/2026-11-25/{name}.log.gz", Body=body)
    s3.put_object(Bucket="logs", Key="predictions/2026-11-25/README", Body=b"not a log")
    s3.put_object(Bucket="logs", Key="bundle/metadata.json", Body=json.dumps(metadata_document()))


EVENT = {
    "logs": "s3://logs/predictions/2026-11-25/",
    "metadata": "s3://logs/bundle/metadata.json",
    "report_prefix": "s3://logs/reports/",
    "now": "2026-11-26T01:00:00+00:00",
}


def test_handler_reads_s3_and_writes_reports(
    aws_reset: str, capsys: pytest.CaptureFixture[str]
) -> None:
    put_inputs(draw_features(np.random.default_rng(4), 400))
    response = handler(dict(EVENT), None)
    assert response["exit_code"] == 0
    assert response["predictions"] == 400
    assert response["report_uri"] == "s3://logs/reports/20261126T010000Z/report.json"
    s3 = boto3.client("s3")
    report = json.loads(
        s3.get_object(Bucket="logs", Key="reports/20261126T010000Z/report.json")["Body"].read()
    )
    assert len(report["input"]["log_files"]) == 2  # README skipped: not a log object
    html = s3.get_object(Bucket="logs", Key="reports/20261126T010000Z/report.html")
    assert html["ContentType"].startswith("text/html")
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert emf[0]["PredictionCount"] == 400.0


def test_handler_can_fail_on_alert_after_writing_outputs(aws_reset: str) -> None:
    features = draw_features(np.random.default_rng(5), 400)
    features["age"] = features["age"] + 15
    put_inputs(features)
    with pytest.raises(MonitoringAlertError, match="drift"):
        handler(dict(EVENT, fail_on_alert=True), None)
    keys = [
        item["Key"]
        for item in boto3.client("s3").list_objects_v2(Bucket="logs", Prefix="reports/")["Contents"]
    ]
    assert sorted(keys) == [
        "reports/20261126T010000Z/report.html",
        "reports/20261126T010000Z/report.json",
    ]
