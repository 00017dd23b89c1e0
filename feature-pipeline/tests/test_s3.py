"""s3:// in and out against the moto server, through the same run() as local paths.

Every write must stay under the output prefix: the Glue role may write `features/*` and
nothing beside it (a sibling staging prefix was AccessDenied in AWS).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from pyspark.sql import SparkSession

from feature_pipeline.config import QualitySettings
from feature_pipeline.lake import S3Lake, retire_runs
from feature_pipeline.location import S3Location
from feature_pipeline.pipeline import PipelineRunError, run
from feature_pipeline.request import RunRequest
from feature_pipeline.schema import RAW_HEADER
from tests.rows import raw_line

RELAXED = QualitySettings(positive_rate_min=0.0, positive_rate_max=1.0)
BUCKET = "loans-bucket"
AS_OF = date(2021, 9, 17)


def _keys(client: Any, prefix: str = "") -> set[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def _json(client: Any, key: str) -> Any:
    return json.loads(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def _raw(client: Any, key: str, customers: int = 3) -> str:
    lines = [
        raw_line(loan_id=str(i), id=str(10 + i % customers), status=str(i % 2)) for i in range(1, 9)
    ]
    client.put_object(
        Bucket=BUCKET, Key=key, Body=("\n".join([RAW_HEADER, *lines]) + "\n").encode()
    )
    return f"s3://{BUCKET}/{key}"


def test_s3_runs_write_only_under_the_output_prefix(
    spark: SparkSession, aws_reset: str, tmp_path: Path
) -> None:
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    source = _raw(client, "raw/loans.csv")
    store = f"sqlite:///{tmp_path / 'online.db'}"
    first = run(
        RunRequest.from_uris(source, f"s3://{BUCKET}/features", store, AS_OF), RELAXED, spark=spark
    )
    second_source = _raw(client, "raw/loans-2.csv", customers=4)
    second = run(
        RunRequest.from_uris(
            second_source, f"s3://{BUCKET}/features/", store, AS_OF, retain_runs=1
        ),
        RELAXED,
        spark=spark,
    )

    written = _keys(client) - {"raw/loans.csv", "raw/loans-2.csv"}
    assert written
    assert all(key.startswith("features/") for key in written), written
    pointer = _json(client, "features/_LATEST")
    assert pointer["prefix"] == f"run={second['run_id']}/"
    run_prefix = f"features/run={second['run_id']}/"
    manifest = _json(client, run_prefix + "_SUCCESS")
    listed = {run_prefix + item["path"] for item in manifest["files"]}
    # retain_runs=1: the first run is gone, the second is exactly its manifest and _LATEST.
    assert written == listed | {run_prefix + "_SUCCESS", "features/_LATEST"}
    assert second["outputs"]["retired_runs"] == [first["run_id"]]
    assert any(key.startswith(run_prefix + "training_set/parquet/part-") for key in listed)
    assert any(key.startswith(run_prefix + "online/parquet/part-") for key in listed)
    assert manifest["row_counts"]["training_rows"] == 8
    assert second["input"]["fingerprint"].startswith("sha256:")
    csv_key = next(k for k in listed if k.startswith(run_prefix + "training_set/csv/part-"))
    body = client.get_object(Bucket=BUCKET, Key=csv_key)["Body"].read().decode()
    assert body.startswith("id,loan_id,loan_date,nb_previous_loans,")
    assert _json(client, run_prefix + "run_report.json")["quality"]["rows_in"] == 8


def test_the_glue_writer_stages_inside_the_run_prefix(aws_reset: str, tmp_path: Path) -> None:
    """On Glue, Spark writes straight into run=<id>/; _SUCCESS marks it complete."""
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    lake = S3Lake(S3Location(BUCKET, "features"), tmp_path, native=True)
    # Leftovers of an earlier, killed attempt of the same run are cleared first.
    client.put_object(Bucket=BUCKET, Key="features/run=r1/training_set/csv/part-old.csv", Body=b"x")
    writer = lake.open_run("r1")
    assert writer.spark_root == f"s3://{BUCKET}/features/run=r1/"
    # What Spark's file committer leaves while and after writing:
    for key in ("training_set/csv/part-0.csv", "training_set/csv/_temporary/0/part-0.csv"):
        client.put_object(Bucket=BUCKET, Key=f"features/run=r1/{key}", Body=b"id\n1\n")
    writer.write_text("run_report.json", "{}")
    files = writer.staged_files()
    assert [f.path for f in files] == ["run_report.json", "training_set/csv/part-0.csv"]
    assert lake.committed_run("r1") is None
    committed = writer.commit(
        {"run_id": "r1", "as_of": "2021-09-17", "files": [], "created_at": "1"}
    )
    assert lake.committed_run("r1") == committed
    assert all(key.startswith("features/run=r1/") for key in _keys(client))

    lake.move_latest({"run_id": "r1", "prefix": "run=r1/"})
    assert lake.latest() == {"run_id": "r1", "prefix": "run=r1/"}
    assert retire_runs(lake, keep=1, protected={"r1"}) == []


def test_s3_failure_leaves_the_committed_output_alone(
    spark: SparkSession, aws_reset: str, tmp_path: Path
) -> None:
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="raw/bad.csv", Body=(raw_line() + "\n").encode())
    client.put_object(Bucket=BUCKET, Key="features/_LATEST", Body=b'{"run_id": "previous"}')
    client.put_object(Bucket=BUCKET, Key="features/run=previous/_SUCCESS", Body=b"{}")
    request = RunRequest.from_uris(
        f"s3://{BUCKET}/raw/bad.csv", f"s3://{BUCKET}/features", "sqlite://", AS_OF
    )
    with pytest.raises(PipelineRunError, match="header"):
        run(request, RELAXED, spark=spark)
    assert _keys(client, "features/") == {"features/_LATEST", "features/run=previous/_SUCCESS"}
    assert _json(client, "features/_LATEST") == {"run_id": "previous"}


def test_missing_s3_input_is_an_input_error(aws_reset: str) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    request = RunRequest.from_uris(
        f"s3://{BUCKET}/raw/none.csv", f"s3://{BUCKET}/features", "sqlite://", AS_OF
    )
    with pytest.raises(Exception, match="cannot read input object"):
        run(request, RELAXED)
