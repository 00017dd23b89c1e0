from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from monitoring_factories import draw_features, emf_documents, prediction_records, write_lines
from typer.testing import CliRunner

from risk_monitoring.cli import app
from risk_monitoring.metrics import CATALOGUE

runner = CliRunner()
README = Path(__file__).resolve().parents[1] / "README.md"


def invoke(
    tmp_path: Path, metadata_path: Path, features: dict[str, np.ndarray], html: bool = False
):
    logs = write_lines(tmp_path / "p.log.gz", prediction_records(features, seed=3))
    html_option = ("--report-html", str(tmp_path / "out" / "report.html")) if html else ()
    return runner.invoke(
        app,
        [
            "run",
            *("--logs", str(logs), "--metadata", str(metadata_path)),
            *("--now", "2026-11-26T00:00:00+00:00"),
            *("--report-json", str(tmp_path / "out" / "report.json")),
            *html_option,
        ],
    )


def test_clean_run_exits_zero_and_writes_every_output(tmp_path: Path, metadata_path: Path) -> None:
    result = invoke(tmp_path, metadata_path, draw_features(np.random.default_rng(1), 600), True)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["status"] in ("ok", "warn")
    assert report["input"]["predictions_accepted"] == 600
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert not list((tmp_path / "out").glob(".*partial"))


def test_emf_documents_carry_catalogued_metrics_and_dimensions(
    tmp_path: Path, metadata_path: Path
) -> None:
    result = invoke(tmp_path, metadata_path, draw_features(np.random.default_rng(2), 600))
    documents = emf_documents(result.stdout)
    catalogued = {(spec.name, tuple(sorted(spec.dimensions))) for spec in CATALOGUE}
    sets = set()
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "CreditRisk/Monitoring"
        (dimensions,) = directive["Dimensions"]
        sets.add(tuple(sorted(dimensions)))
        assert document["service"] == "risk-monitoring"
        for metric in directive["Metrics"]:
            assert (metric["Name"], tuple(sorted(dimensions))) in catalogued
            assert isinstance(document[metric["Name"]], float)
    # model, 7 checks, one model version, five features
    assert len(documents) == 1 + 7 + 1 + 1 + 5
    assert len(sets) == 4
    model = next(d for d in documents if "PredictionCount" in d and "ModelVersion" not in d)
    assert model["ModelName"] == "credit-risk"
    assert model["PredictionCount"] == 600.0
    assert model["DriftedFeatureCount"] == 0.0
    assert "OnlineRocAuc" not in model  # no labels: omitted, not sent as 0


def test_drift_alert_exit_code_and_metrics(tmp_path: Path, metadata_path: Path) -> None:
    features = draw_features(np.random.default_rng(3), 600)
    features["avg_amount_loans_previous"] = features["avg_amount_loans_previous"] * 2
    result = invoke(tmp_path, metadata_path, features)
    assert result.exit_code == 6
    documents = emf_documents(result.stdout)
    drifted = {d["Feature"]: d["DriftDetected"] for d in documents if "Feature" in d}
    assert drifted == {
        "nb_previous_loans": 0.0,
        "avg_amount_loans_previous": 1.0,
        "age": 0.0,
        "years_on_the_job": 0.0,
        "flag_own_car": 0.0,
    }
    (model,) = [d for d in documents if "MonitoringAlert" in d]
    assert model["MonitoringAlert"] == 1.0
    assert "alert  drift" in result.stderr


def test_the_readme_lists_every_metric_with_unit_dimensions_and_alarm() -> None:
    rows = {
        tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")[:4])
        for line in README.read_text().splitlines()
        if re.match(r"^\| `\w+` \|", line)
    }
    for spec in CATALOGUE:
        dimensions = ", ".join(spec.dimensions)
        assert (spec.name, spec.unit.value, dimensions, spec.alarm or "—") in rows, spec.name


def test_bad_input_exits_two_and_writes_nothing(tmp_path: Path) -> None:
    metadata = tmp_path / "metadata.json"
    metadata.write_text("{not json")
    logs = write_lines(tmp_path / "p.log", [])
    result = runner.invoke(
        app,
        [
            "run",
            *("--logs", str(logs), "--metadata", str(metadata)),
            *("--report-json", str(tmp_path / "report.json")),
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
