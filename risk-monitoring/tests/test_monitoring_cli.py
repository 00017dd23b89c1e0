from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from monitoring_factories import draw_features, prediction_records, write_lines
from typer.testing import CliRunner

from risk_monitoring.cli import app
from risk_monitoring.emf import FEATURE_METRICS, GLOBAL_METRICS, VERSION_METRICS

runner = CliRunner()


def emf_documents(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def invoke(tmp_path: Path, metadata_path: Path, features: dict[str, np.ndarray]):
    logs = write_lines(tmp_path / "p.log.gz", prediction_records(features, seed=3))
    result = runner.invoke(
        app,
        [
            "run",
            "--logs",
            str(logs),
            "--metadata",
            str(metadata_path),
            "--now",
            "2026-11-26T00:00:00+00:00",
            "--report-json",
            str(tmp_path / "out" / "report.json"),
            "--report-html",
            str(tmp_path / "out" / "report.html"),
        ],
    )
    return result


def test_clean_run_exits_zero_and_writes_every_output(tmp_path: Path, metadata_path: Path) -> None:
    result = invoke(tmp_path, metadata_path, draw_features(np.random.default_rng(1), 600))
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["status"] in ("ok", "warn")
    assert report["input"]["predictions_accepted"] == 600
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert not list((tmp_path / "out").glob(".*partial"))


def test_emf_documents_are_well_formed(tmp_path: Path, metadata_path: Path) -> None:
    result = invoke(tmp_path, metadata_path, draw_features(np.random.default_rng(2), 600))
    documents = emf_documents(result.stdout)
    assert len(documents) == 1 + 1 + 5  # global, one model version, five features
    catalogues = {
        ("ModelName",): GLOBAL_METRICS,
        ("ModelName", "ModelVersion"): VERSION_METRICS,
        ("Feature", "ModelName"): FEATURE_METRICS,
    }
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "CreditRisk/Monitoring"
        (dimensions,) = directive["Dimensions"]
        catalogue = catalogues[tuple(dimensions)]
        assert all(isinstance(document[name], str) for name in dimensions)
        for metric in directive["Metrics"]:
            assert metric["Name"] in catalogue
            assert isinstance(document[metric["Name"]], float)
        assert len(directive["Metrics"]) <= 100
    global_document = documents[0]
    assert global_document["ModelName"] == "credit-risk"
    assert global_document["PredictionCount"] == 600.0
    assert global_document["MonitoringAlert"] == 0.0
    assert "OnlineRocAuc" not in global_document  # no outcomes: omitted, not sent as 0


def test_drift_alert_exit_code_and_metric(tmp_path: Path, metadata_path: Path) -> None:
    features = draw_features(np.random.default_rng(3), 600)
    features["avg_amount_loans_previous"] = features["avg_amount_loans_previous"] * 2
    result = invoke(tmp_path, metadata_path, features)
    assert result.exit_code == 6
    global_document = emf_documents(result.stdout)[0]
    assert global_document["DriftPSIMax"] > 0.2
    assert global_document["MonitoringAlert"] == 1.0
    assert "alert  drift" in result.stderr


def test_bad_input_exits_two_and_writes_nothing(tmp_path: Path) -> None:
    metadata = tmp_path / "metadata.json"
    metadata.write_text("{not json")
    logs = write_lines(tmp_path / "p.log", [])
    result = runner.invoke(
        app,
        [
            "run",
            "--logs",
            str(logs),
            "--metadata",
            str(metadata),
            "--report-json",
            str(tmp_path / "report.json"),
        ],
    )
    assert result.exit_code == 2
    assert "metadata.json is not valid JSON" in result.stderr
    assert not (tmp_path / "report.json").exists()


def test_missing_log_file_exits_two(tmp_path: Path, metadata_path: Path) -> None:
    result = runner.invoke(
        app, ["run", "--logs", str(tmp_path / "nope.log"), "--metadata", str(metadata_path)]
    )
    assert result.exit_code == 2
    assert "input not found" in result.stderr


def test_exit_codes_are_distinct() -> None:
    result = runner.invoke(app, ["exit-codes"])
    codes = [int(line.split()[0]) for line in result.stdout.splitlines()]
    assert len(codes) == len(set(codes)) == 10


def test_missing_feature_pipeline_command_is_an_input_error(
    tmp_path: Path, metadata_path: Path
) -> None:
    logs = write_lines(
        tmp_path / "p.log",
        prediction_records(draw_features(np.random.default_rng(1), 10), seed=1),
    )
    raw = tmp_path / "loans.csv"
    raw.write_text("loan_id\n")
    result = runner.invoke(
        app,
        [
            "run",
            "--logs",
            str(logs),
            "--metadata",
            str(metadata_path),
            "--raw-loans",
            str(raw),
            "--pipeline-command",
            "no-such-feature-pipeline",
        ],
    )
    assert result.exit_code == 2
    assert "feature pipeline command not found" in result.stderr
