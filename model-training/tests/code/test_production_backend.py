"""The production layout: MLflow tracking/registry in PostgreSQL, artifacts in S3 (moto)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pandas as pd
import yaml
from mlflow import MlflowClient
from typer.testing import CliRunner

from model_training.cli import app
from model_training.config import TrainingConfig

runner = CliRunner()


def test_train_promote_export_against_postgres_and_s3(
    postgres_db_url: str,
    aws_reset: str,
    training_csv: Path,
    dataset: tuple[pd.DataFrame, pd.DataFrame],
    model_config: TrainingConfig,
    tmp_path: Path,
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="mlflow-artifacts")
    s3.create_bucket(Bucket="features")
    s3.upload_file(str(training_csv), "features", "training_set/csv/part-00000.csv")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(model_config.model_dump(mode="json")))
    name = model_config.registered_model_name

    result = runner.invoke(
        app,
        [
            "train",
            "--data",
            "s3://features/training_set/csv",
            "--config",
            str(config),
            "--tracking-uri",
            postgres_db_url,
            "--artifact-location",
            "s3://mlflow-artifacts/mlflow",
        ],
    )
    assert result.exit_code == 0, result.stderr
    trained = json.loads(result.stdout)

    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="mlflow-artifacts")
        for o in page.get("Contents", [])
    ]
    assert any(k.endswith("gate.json") for k in keys)
    assert any(k.endswith("model_card/model_card.md") for k in keys)
    assert any("MLmodel" in k for k in keys)

    client = MlflowClient(postgres_db_url, postgres_db_url)
    assert client.get_run(trained["run_id"]).info.artifact_uri.startswith("s3://mlflow-artifacts/")
    aliases = {k: str(v) for k, v in client.get_registered_model(name).aliases.items()}
    assert aliases == {"challenger": "1"}

    promote = runner.invoke(
        app,
        [
            "promote",
            "--version",
            "1",
            "--reason",
            "first",
            "--model-name",
            name,
            "--tracking-uri",
            postgres_db_url,
        ],
    )
    assert promote.exit_code == 0, promote.stderr
    bundle = tmp_path / "bundle"
    exported = runner.invoke(
        app,
        ["export", "--out", str(bundle), "--model-name", name, "--tracking-uri", postgres_db_url],
    )
    assert exported.exit_code == 0, exported.stderr
    meta = json.loads((bundle / "metadata.json").read_text())
    assert meta["model_version"] == "1"
    assert meta["run_id"] == trained["run_id"]
    assert (bundle / "model.onnx").stat().st_size > 0
