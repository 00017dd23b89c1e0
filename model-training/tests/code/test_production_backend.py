"""The production layout: MLflow in PostgreSQL, artifacts and bundles in S3 (moto), the
training data read from the lake layout of DESIGN C1, MLflow's own variables honoured."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import boto3
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient
from synthetic import write_pipeline_run
from typer.testing import CliRunner

from model_training.cli import app
from model_training.config import TrainingConfig

runner = CliRunner()


def _s3_json(s3: object, key: str) -> dict[str, object]:
    body = s3.get_object(Bucket="artifacts", Key=key)["Body"].read()  # type: ignore[attr-defined]
    return json.loads(body)  # type: ignore[no-any-return]


def _invoke(*args: str) -> dict[str, object]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_train_publish_promote_rollback_against_postgres_and_s3(
    postgres_db_url: str,
    aws_reset: str,
    dataset: tuple[pd.DataFrame, pd.DataFrame],
    raw_csv: Path,
    model_config: TrainingConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s3 = boto3.client("s3")
    for bucket in ("artifacts", "lake"):
        s3.create_bucket(Bucket=bucket)
    lake = write_pipeline_run(dataset[0], tmp_path / "lake")
    for file in lake.rglob("*"):
        if file.is_file():
            s3.upload_file(str(file), "lake", f"features/{file.relative_to(lake)}")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(model_config.model_dump(mode="json")))
    name = model_config.registered_model_name
    # MLflow's own variable, no --tracking-uri anywhere below.
    monkeypatch.delenv("MODEL_TRAINING_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", postgres_db_url)
    monkeypatch.setenv("MODEL_TRAINING_ARTIFACTS_URI", "s3://artifacts")

    versions = []
    for seed in ("1", "2"):
        trained = _invoke(
            "train", "--data", "s3://lake/features", "--raw", str(raw_csv), "--seed", seed,
            "--config", str(config), "--artifact-location", "s3://artifacts/mlflow",
        )  # fmt: skip
        versions.append(str(trained["model_version"]))
    assert versions == ["1", "2"]
    client = MlflowClient(postgres_db_url, postgres_db_url)
    run = client.get_run(str(trained["run_id"]))
    assert run.info.artifact_uri.startswith("s3://artifacts/mlflow")
    assert run.data.tags["reference_run_id"] == "r1"

    # Promoting a version that was never published is refused before the alias moves.
    refused = runner.invoke(
        app, ["promote", "--version", "1", "--reason", "x", "--model-name", name]
    )
    assert refused.exit_code == 2
    assert "publish" in refused.stderr
    assert "champion" not in client.get_registered_model(name).aliases

    for version in versions:
        published = _invoke("publish", "--version", version, "--model-name", name)
        candidate = _s3_json(s3, f"bundles/{name}/candidate.json")
        assert candidate["model_version"] == version
        prefix = f"bundles/{name}/{candidate['prefix']}"
        assert published["uri"] == f"s3://artifacts/{prefix}"
        onnx = s3.get_object(Bucket="artifacts", Key=f"{prefix}model.onnx")["Body"].read()
        metadata = _s3_json(s3, f"{prefix}metadata.json")
        assert metadata["model_sha256"] == hashlib.sha256(onnx).hexdigest()
        assert candidate["model_sha256"] == metadata["model_sha256"]
        assert candidate["prefix"] == f"v{version}-{metadata['model_sha256'][:12]}/"  # type: ignore[index]
        _invoke("promote", "--version", version, "--reason", "canary passed", "--model-name", name)
        champion = _s3_json(s3, f"bundles/{name}/champion.json")
        assert (champion["model_version"], champion["prefix"]) == (version, candidate["prefix"])
        assert str(client.get_model_version_by_alias(name, "champion").version) == version

    first = _s3_json(s3, f"bundles/{name}/v1-{_sha12(s3, name, '1')}/metadata.json")
    _invoke("rollback", "--reason", "canary alarm", "--model-name", name)
    champion = _s3_json(s3, f"bundles/{name}/champion.json")
    assert champion["model_version"] == "1"
    assert champion["model_sha256"] == first["model_sha256"]
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"


def _sha12(s3: object, name: str, version: str) -> str:
    listing = s3.list_objects_v2(Bucket="artifacts", Prefix=f"bundles/{name}/v{version}-")  # type: ignore[attr-defined]
    key = next(o["Key"] for o in listing["Contents"] if o["Key"].endswith("metadata.json"))
    return str(key.split("/")[-2].split("-", 1)[1])
