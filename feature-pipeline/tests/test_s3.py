"""s3:// input and output against the moto server, through the same run() as local paths."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import boto3
import pytest
from pyspark.sql import SparkSession

from feature_pipeline.config import QualitySettings
from feature_pipeline.pipeline import PipelineRunError, RunRequest, run
from feature_pipeline.schema import RAW_HEADER
from tests.rows import raw_line

RELAXED = QualitySettings(positive_rate_min=0.0, positive_rate_max=1.0)
BUCKET = "loans-bucket"


def _keys(client: object, prefix: str) -> set[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_s3_round_trip_commits_with_manifest_and_replaces_stale_objects(
    spark: SparkSession, aws_reset: str, tmp_path: Path
) -> None:
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    lines = [raw_line(loan_id=str(i), id=str(10 + i % 3), status=str(i % 2)) for i in range(1, 9)]
    client.put_object(
        Bucket=BUCKET, Key="raw/loans.csv", Body=("\n".join([RAW_HEADER, *lines]) + "\n").encode()
    )
    client.put_object(Bucket=BUCKET, Key="features/stale/part-old.csv", Body=b"old")
    store = f"sqlite:///{tmp_path / 'online.db'}"
    request = RunRequest(
        f"s3://{BUCKET}/raw/loans.csv", f"s3://{BUCKET}/features", store, date(2021, 9, 17)
    )

    report = run(request, RELAXED, spark=spark)

    manifest = json.loads(client.get_object(Bucket=BUCKET, Key="features/_SUCCESS")["Body"].read())
    listed = {"features/" + item["path"] for item in manifest["files"]}
    assert _keys(client, "features/") == listed | {"features/_SUCCESS"}
    assert "features/stale/part-old.csv" not in listed
    assert any(key.startswith("features/training_set/parquet/part-") for key in listed)
    assert manifest["row_counts"]["training_rows"] == 8
    assert report["input"]["fingerprint"].startswith("sha256:")
    csv_key = next(k for k in listed if k.startswith("features/training_set/csv/part-"))
    body = client.get_object(Bucket=BUCKET, Key=csv_key)["Body"].read().decode()
    assert body.startswith("id,loan_id,loan_date,nb_previous_loans,")
    stored_report = json.loads(
        client.get_object(Bucket=BUCKET, Key="features/run_report.json")["Body"].read()
    )
    assert stored_report["quality"]["rows_in"] == 8


def test_s3_failure_leaves_the_committed_prefix_alone(
    spark: SparkSession, aws_reset: str, tmp_path: Path
) -> None:
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="raw/bad.csv", Body=(raw_line() + "\n").encode())
    client.put_object(Bucket=BUCKET, Key="features/_SUCCESS", Body=b'{"run_id": "previous"}')
    request = RunRequest(
        f"s3://{BUCKET}/raw/bad.csv", f"s3://{BUCKET}/features", "sqlite://", date(2021, 9, 17)
    )
    with pytest.raises(PipelineRunError, match="header"):
        run(request, RELAXED, spark=spark)
    assert _keys(client, "features/") == {"features/_SUCCESS"}
    marker = client.get_object(Bucket=BUCKET, Key="features/_SUCCESS")["Body"].read()
    assert json.loads(marker) == {"run_id": "previous"}


def test_missing_s3_input_is_an_input_error(aws_reset: str) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    request = RunRequest(
        f"s3://{BUCKET}/raw/none.csv", f"s3://{BUCKET}/features", "sqlite://", date(2021, 9, 17)
    )
    with pytest.raises(Exception, match="cannot read input object"):
        run(request, RELAXED)
