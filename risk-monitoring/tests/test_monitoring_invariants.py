from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from monitoring_factories import draw_features, prediction_records, write_lines

from risk_monitoring.runner import MonitorInputs, run_monitoring

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def clean_records(n: int = 400, seed: int = 1) -> list[dict]:
    return prediction_records(draw_features(np.random.default_rng(seed), n), seed=seed)


def run(tmp_path: Path, metadata_path: Path, lines: list[str]):
    logs = tmp_path / "predictions.log"
    logs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_monitoring(MonitorInputs(logs=[str(logs)], metadata=str(metadata_path), now=NOW))


def test_clean_logs_pass_every_log_check(tmp_path: Path, metadata_path: Path) -> None:
    result = run(tmp_path, metadata_path, [json.dumps(r) for r in clean_records()])
    checks = result.report["checks"]
    assert {name: checks[name]["status"] for name in ("invariants", "stability", "latency")} == {
        "invariants": "ok",
        "stability": "ok",
        "latency": "ok",
    }
    assert result.exit_code == 0


def test_type_range_and_schema_violations_are_counted(tmp_path: Path, metadata_path: Path) -> None:
    records = clean_records()
    records[0]["features"]["age"] = "41"  # a string
    records[1]["features"]["years_on_the_job"] = -1000  # the employment sentinel leaking
    records[2]["features"]["age"] = 30.5  # not an integer
    records[3]["features"]["flag_own_car"] = 2
    del records[4]["features"]["nb_previous_loans"]
    records[5]["features"]["flag_own_car"] = None  # never nullable
    records[6]["prediction"] = 7
    result = run(tmp_path, metadata_path, [json.dumps(r) for r in records])
    check = result.report["checks"]["invariants"]
    features = check["details"]["features"]
    assert check["status"] == "alert"
    assert features["age"]["wrong_type"] == 1
    assert features["age"]["non_integer"] == 1
    assert features["years_on_the_job"]["below_range"] == 1
    assert features["flag_own_car"]["above_range"] == 1
    assert features["flag_own_car"]["null_not_allowed"] == 1
    assert features["nb_previous_loans"]["absent"] == 1
    assert check["details"]["events"]["prediction_not_0_or_1"] == 1
    assert check["details"]["violations"] == 7
    assert result.exit_code == 5


def test_null_share_above_training_plus_tolerance_alerts(
    tmp_path: Path, metadata_path: Path
) -> None:
    records = clean_records(n=400)
    for record in records[:200]:
        record["features"]["avg_amount_loans_previous"] = None
    result = run(tmp_path, metadata_path, [json.dumps(r) for r in records])
    details = result.report["checks"]["invariants"]["details"]["features"]
    assert details["avg_amount_loans_previous"]["null_share_exceeded"] is True
    assert details["years_on_the_job"]["null_share_exceeded"] is False


def test_every_line_is_accounted_for(tmp_path: Path, metadata_path: Path) -> None:
    records = clean_records(n=50)
    broken = dict(records[0])
    del broken["probability"]
    wrong = dict(records[1], latency_ms="fast")
    lines = [
        *(json.dumps(r) for r in records[2:]),
        "2026-11-25 12:00:00 INFO uvicorn started",
        '{"event": "startup", "model_version": "3"}',
        "",
        "{not json",
        json.dumps(broken),
        json.dumps(wrong),
        "[1, 2]",
        # A log shipper's prefix in front of the JSON object is tolerated.
        "2026-11-25T00:00:00Z\tabc-123\t" + json.dumps(records[0]),
    ]
    result = run(tmp_path, metadata_path, lines)
    counts = result.report["input"]
    assert counts["predictions_accepted"] == 49
    assert counts["predictions_rejected"] == 2
    assert counts["rejected_reasons"] == {"missing_probability": 1, "wrong_type": 1}
    assert counts["non_json_lines"] == 3
    assert counts["blank_lines"] == 1
    assert counts["other_events"] == {"startup": 1}
    assert counts["lines_total"] == len(lines)
    assert counts["lines_accounted_for"] is True


def test_nan_injection_is_caught_and_nulls_are_not_counted(
    tmp_path: Path, metadata_path: Path
) -> None:
    records = clean_records(n=300)
    records[10]["features"]["avg_amount_loans_previous"] = math.nan
    records[11]["features"]["age"] = math.inf
    records[12]["probability"] = math.nan
    # json.dumps writes NaN / Infinity literals, as Python services do by default.
    result = run(tmp_path, metadata_path, [json.dumps(r) for r in records])
    check = result.report["checks"]["stability"]
    assert check["status"] == "alert"
    assert check["details"]["non_finite_features"] == {
        "nb_previous_loans": 0,
        "avg_amount_loans_previous": 1,
        "age": 1,
        "years_on_the_job": 0,
        "flag_own_car": 0,
    }
    assert check["details"]["non_finite_probabilities"] == 1
    assert result.exit_code == 3  # stability outranks everything else
    nulls = sum(r["features"]["years_on_the_job"] is None for r in records)
    assert nulls > 0  # the nulls in the data were not mistaken for NaN


def test_gzip_logs_and_directories_are_read(tmp_path: Path, metadata_path: Path) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    records = clean_records(n=120)
    write_lines(directory / "a.log.gz", records[:60])
    write_lines(directory / "b.jsonl", records[60:])
    result = run_monitoring(
        MonitorInputs(logs=[str(directory)], metadata=str(metadata_path), now=NOW)
    )
    assert result.report["input"]["predictions_accepted"] == 120
    assert len(result.report["input"]["log_files"]) == 2
