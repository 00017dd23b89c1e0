"""End to end through the CLI: train -> gate -> register -> promote -> rollback -> export."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient
from synthetic import write_csv
from typer.testing import CliRunner

from model_training.cli import app
from model_training.config import Settings, TrainingConfig

runner = CliRunner()

METADATA_KEYS = {
    "schema_version",
    "model_name",
    "model_version",
    "run_id",
    "created_at",
    "trained_at",
    "features",
    "onnx_input_name",
    "onnx_probability_output",
    "threshold",
    "training_data_fingerprint",
    "positive_rate",
    "split",
    "metrics",
    "test_metrics",
    "reference_statistics",
    "reference_population",
    "baseline_values",
    "model_sha256",
}
CONTRACT_ORDER = [
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
]


def _config_file(config: TrainingConfig, tmp_path: Path, **changes: object) -> Path:
    raw = config.model_dump(mode="json")
    raw.update(changes)
    path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _aliases(client: MlflowClient, name: str) -> dict[str, str]:
    return {a: str(v) for a, v in client.get_registered_model(name).aliases.items()}


def test_full_lifecycle(
    training_csv: Path,
    raw_csv: Path,
    online_parquet: Path,
    dataset: tuple[pd.DataFrame, pd.DataFrame],
    model_config: TrainingConfig,
    mlflow_settings: Settings,
    tmp_path: Path,
) -> None:
    uri = mlflow_settings.resolved_tracking_uri()
    name = model_config.registered_model_name
    client = MlflowClient(uri, uri)

    # 1. train -> gate passes -> version 1 registered as challenger; nothing serves yet.
    code, out, err = _invoke(
        "train",
        "--data",
        str(training_csv),
        "--raw",
        str(raw_csv),
        "--reference",
        str(online_parquet),
        "--tracking-uri",
        uri,
        "--config",
        str(_config_file(model_config, tmp_path)),
    )
    assert code == 0, err
    first = json.loads(out)
    interval = first["test_intervals"]["roc_auc"]
    assert interval["ci_low"] < first["metrics"]["roc_auc"] < interval["ci_high"]
    assert first["gate_passed"]
    assert first["model_version"] == "1"
    assert _aliases(client, name) == {"challenger": "1"}

    run = client.get_run(first["run_id"])
    for tag in (
        "data_fingerprint",
        "code_version",
        "seed",
        "lib.scikit-learn",
        "split_fingerprint",
    ):
        assert run.data.tags[tag]
    for metric in ("test_roc_auc", "test_roc_auc_ci_low", "test_roc_auc_ci_high", "test_ece"):
        assert metric in run.data.metrics
    assert run.data.tags["gate_verdict"] == "pass"
    assert run.data.params[
        "model.C" if first["candidate"] == "logistic_regression" else "candidate"
    ]
    artifacts = {a.path for a in client.list_artifacts(first["run_id"])}
    assert {"gate.json", "config.json", "model_card", "bundle_inputs", "evaluation"} <= artifacts
    plots = {Path(a.path).name for a in client.list_artifacts(first["run_id"], "model_card/plots")}
    assert plots == {
        "roc.png",
        "pr.png",
        "calibration.png",
        "feature_importance.png",
        "slices.png",
        "baseline_comparison.png",
    }
    slices = pd.read_csv(
        Path(client.download_artifacts(first["run_id"], "evaluation/slices.csv", str(tmp_path)))
    )
    assert set(slices["dimension"]) == {"age_band", "customer_type", "gender", "income_type"}
    import mlflow.models

    info = mlflow.models.get_model_info(f"models:/{name}/1")
    assert info.signature.inputs.input_names() == CONTRACT_ORDER
    assert info.saved_input_example_info is not None

    # 2. promote v1 -> champion, audited.
    code, _, err = _invoke(
        "promote",
        "--version",
        "1",
        "--reason",
        "first model",
        "--actor",
        "alice",
        "--model-name",
        name,
        "--tracking-uri",
        uri,
    )
    assert code == 0, err
    assert _aliases(client, name)["champion"] == "1"
    tags = client.get_model_version(name, "1").tags
    assert tags["promoted_by"] == "alice"
    assert tags["promotion_reason"] == "first model"
    assert tags["promoted_to_champion_at"]

    # 3. a second model (another seed, same validation customers) -> challenger v2.
    code, out, err = _invoke(
        "train",
        "--data",
        str(training_csv),
        "--raw",
        str(raw_csv),
        "--reference",
        str(online_parquet),
        "--tracking-uri",
        uri,
        "--seed",
        "3",
        "--config",
        str(_config_file(model_config, tmp_path)),
    )
    assert code == 0, err
    second = json.loads(out)
    assert second["model_version"] == "2"
    assert _aliases(client, name) == {"challenger": "2", "champion": "1"}
    compared = client.get_run(second["run_id"]).data.metrics
    assert (
        compared["champion_test_auc_difference_ci_low"]
        <= compared["champion_test_auc_difference"]
        <= compared["champion_test_auc_difference_ci_high"]
    )

    # 4. a model trained on shuffled labels is vetoed: exit 1, nothing registered or moved.
    frame = dataset[0]
    shuffled = frame.assign(status=np.random.default_rng(0).permutation(frame["status"].to_numpy()))
    code, out, err = _invoke(
        "train",
        "--data",
        str(write_csv(shuffled, tmp_path / "shuffled.csv")),
        "--raw",
        str(raw_csv),
        "--reference",
        str(online_parquet),
        "--tracking-uri",
        uri,
        "--config",
        str(_config_file(model_config, tmp_path)),
    )
    assert code == 1
    assert "quality gate FAILED" in err
    vetoed = json.loads(out)
    assert vetoed["model_version"] is None
    assert client.get_run(vetoed["run_id"]).data.tags["gate_verdict"] == "fail"
    assert client.get_run(vetoed["run_id"]).data.tags["gate_reasons"]
    assert len(client.search_model_versions(f"name='{name}'")) == 2
    assert _aliases(client, name) == {"challenger": "2", "champion": "1"}

    # 5. promote the challenger, then roll back to v1; who/when/why recorded.
    code, _, err = _invoke(
        "promote",
        "--from-alias",
        "challenger",
        "--reason",
        "better",
        "--actor",
        "bob",
        "--model-name",
        name,
        "--tracking-uri",
        uri,
    )
    assert code == 0, err
    assert _aliases(client, name)["champion"] == "2"
    code, _, err = _invoke(
        "rollback",
        "--reason",
        "complaints",
        "--actor",
        "carol",
        "--model-name",
        name,
        "--tracking-uri",
        uri,
    )
    assert code == 0, err
    assert _aliases(client, name)["champion"] == "1"
    demoted = client.get_model_version(name, "2").tags
    assert demoted["rolled_back_by"] == "carol"
    assert demoted["rollback_reason"] == "complaints"
    history = json.loads(client.get_registered_model(name).tags["champion_history"])
    assert [(e["action"], e["version"], e["by"]) for e in history] == [
        ("promote", "1", "alice"),
        ("promote", "2", "bob"),
        ("rollback", "1", "carol"),
    ]
    # Nothing before v1: a further rollback is refused and moves nothing.
    code, _, err = _invoke(
        "rollback", "--reason", "again", "--model-name", name, "--tracking-uri", uri
    )
    assert code == 2
    assert "no previous champion" in err
    assert _aliases(client, name)["champion"] == "1"
    # --if-no-champion leaves an existing champion alone.
    code, out, _ = _invoke(
        "promote",
        "--from-alias",
        "challenger",
        "--if-no-champion",
        "--reason",
        "make run",
        "--model-name",
        name,
        "--tracking-uri",
        uri,
    )
    assert code == 0
    assert json.loads(out)["action"] == "none"
    assert _aliases(client, name)["champion"] == "1"

    # 6. export the champion: the bundle of contract 5.
    bundle = tmp_path / "bundle"
    code, out, err = _invoke(
        "export",
        "--alias",
        "champion",
        "--out",
        str(bundle),
        "--model-name",
        name,
        "--tracking-uri",
        uri,
    )
    assert code == 0, err
    _check_bundle(bundle, frame, name, expected_version="1", run_id=first["run_id"], uri=uri)


def _check_bundle(
    bundle: Path, frame: pd.DataFrame, name: str, expected_version: str, run_id: str, uri: str
) -> None:
    import mlflow.sklearn

    assert {p.name for p in bundle.iterdir()} == {
        "model.onnx",
        "metadata.json",
        "model_card.md",
        "plots",
    }
    assert len(list((bundle / "plots").glob("*.png"))) == 6
    meta = json.loads((bundle / "metadata.json").read_text())
    assert set(meta) == METADATA_KEYS
    assert meta["schema_version"] == 2
    assert meta["model_name"] == name
    assert meta["model_version"] == expected_version
    assert meta["run_id"] == run_id
    assert meta["model_sha256"] == hashlib.sha256((bundle / "model.onnx").read_bytes()).hexdigest()
    run_started = MlflowClient(tracking_uri=uri).get_run(run_id).info.start_time / 1000
    trained_at = datetime.fromisoformat(meta["trained_at"])
    assert abs(trained_at.timestamp() - run_started) < 1.0
    assert trained_at <= datetime.fromisoformat(meta["created_at"])
    assert [f["name"] for f in meta["features"]] == CONTRACT_ORDER
    assert [f["dtype"] for f in meta["features"]] == ["int", "float", "int", "int", "int"]
    assert [f["kind"] for f in meta["features"]][-1] == "categorical"
    assert meta["onnx_input_name"] == "features"
    assert meta["onnx_probability_output"] == "probabilities"
    assert 0 < meta["threshold"] < 1
    assert abs(meta["positive_rate"] - frame["status"].mean()) < 0.03
    assert len(meta["training_data_fingerprint"]) == 64
    assert set(meta["split"]) >= {"strategy", "salt", "test_customers_sha256", "sha256"}
    roc = meta["test_metrics"]["values"]["roc_auc"]
    assert roc["ci_low"] <= roc["value"] == meta["metrics"]["roc_auc"] <= roc["ci_high"]
    # The serving population: one online row per customer, nulls counted apart.
    customers = frame["id"].nunique()
    assert meta["reference_population"]["rows"] == customers
    for feature in CONTRACT_ORDER[:-1]:
        stats = meta["reference_statistics"][feature]
        assert stats["kind"] == "numeric"
        assert stats["bin_edges"] == sorted(stats["bin_edges"])
        assert len(stats["counts"]) == len(stats["bin_edges"]) - 1
        assert sum(stats["counts"]) + stats["null_count"] == customers
    car = meta["reference_statistics"]["flag_own_car"]
    assert car["kind"] == "categorical"
    owners = int(frame.groupby("id")["flag_own_car"].first().sum())
    assert car["counts"] == {"0": customers - owners, "1": owners}
    assert meta["metrics"]["roc_auc"] > 0.6
    assert f"v{expected_version}" in (bundle / "model_card.md").read_text()

    model = onnx.load(str(bundle / "model.onnx"))
    (inp,) = model.graph.input
    assert inp.name == "features"
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    # Parity on every row of the data set, checked here with the registered sklearn model.
    session = ort.InferenceSession(str(bundle / "model.onnx"), providers=["CPUExecutionProvider"])
    x32 = frame[CONTRACT_ORDER].to_numpy(dtype=np.float32)
    label, probabilities = session.run(None, {"features": x32})
    assert label.dtype == np.int64
    assert probabilities.dtype == np.float32
    assert probabilities.shape == (len(frame), 2)
    sk = mlflow.sklearn.load_model(f"models:/{name}/{expected_version}")
    expected = sk.predict_proba(pd.DataFrame(x32.astype(np.float64), columns=CONTRACT_ORDER))
    assert np.max(np.abs(probabilities - expected)) <= 1e-6


def test_train_rejects_bad_data_with_exit_code_2(
    tmp_path: Path, mlflow_settings: Settings, dataset: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bad = write_csv(dataset[0].drop(columns=["flag_own_car"]), tmp_path / "bad.csv")
    code, _, err = _invoke(
        "train", "--data", str(bad), "--tracking-uri", mlflow_settings.resolved_tracking_uri()
    )
    assert code == 2
    assert "missing required columns" in err
    assert "flag_own_car" in err


def test_export_without_champion_fails_and_writes_nothing(
    tmp_path: Path, mlflow_settings: Settings
) -> None:
    code, _, err = _invoke(
        "export",
        "--alias",
        "champion",
        "--out",
        str(tmp_path / "b"),
        "--model-name",
        "nobody",
        "--tracking-uri",
        mlflow_settings.resolved_tracking_uri(),
    )
    assert code == 3
    assert "no version with alias" in err
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("args", [["--version", "1", "--from-alias", "x"], ["--version", "1"]])
def test_promote_needs_one_target_and_a_reason(args: list[str], mlflow_settings: Settings) -> None:
    code, _, _ = _invoke(
        "promote", *args, "--tracking-uri", mlflow_settings.resolved_tracking_uri()
    )
    assert code == 2
