"""Skew on schedule: served rows against the online rows their store run published in the lake."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from monitoring_factories import (
    NAMES,
    STORE_RUN,
    draw_features,
    emf_documents,
    prediction_records,
    write_lines,
)
from monitoring_stores import rows_from_columns, write_lake_run
from typer.testing import CliRunner

from risk_monitoring.checks.skew import values_match
from risk_monitoring.cli import app
from risk_monitoring.config import MonitorSettings
from risk_monitoring.runner import MonitorInputs, run_monitoring

NOW = datetime(2026, 11, 26, 4, 30, tzinfo=UTC)
AS_OF = date(2026, 11, 24)
COLUMNS = draw_features(np.random.default_rng(17), 400)
PUBLISHED = rows_from_columns(COLUMNS)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "features"
    write_lake_run(root, PUBLISHED, STORE_RUN, AS_OF)
    return root


def served(**overrides: Any) -> list[dict[str, Any]]:
    return prediction_records(COLUMNS, customer_ids=sorted(PUBLISHED), **overrides)


def skew(tmp_path: Path, metadata: Path, lake: Path | None, records: list[dict]) -> dict:
    logs = write_lines(tmp_path / "served.jsonl", records)
    run = run_monitoring(
        MonitorInputs(
            logs=[str(logs)], metadata=str(metadata), lake=str(lake) if lake else None, now=NOW
        ),
        MonitorSettings(skew_sample_size=1000),
    )
    return run.report["checks"]["skew"] | {"exit_code": run.exit_code}


def test_values_match_rules() -> None:
    assert values_match(None, None, 1e-6, 1e-6)
    assert not values_match(None, 0, 1e-6, 1e-6)
    assert values_match(118.2000000001, 118.2, 1e-6, 1e-6)
    assert not values_match(118.3, 118.2, 1e-6, 1e-6)
    assert not values_match(float("nan"), 1.0, 1e-6, 1e-6)
    assert values_match(41, 41.0, 1e-6, 1e-6)  # JSON int against a Parquet double
    assert not values_match("forty", 41, 1e-6, 1e-6)


def test_serving_what_the_run_published_has_no_skew(
    tmp_path: Path, metadata_path: Path, lake: Path
) -> None:
    check = skew(tmp_path, metadata_path, lake, served())
    assert check["status"] == "ok", check["summary"]
    assert check["details"]["compared"] == 400
    assert check["details"]["runs_compared"] == [STORE_RUN]
    assert check["details"]["mismatch_rate"] == 0.0


def test_injected_skew_crosses_the_alarm_threshold_of_the_emitted_metric(
    tmp_path: Path, metadata_path: Path, lake: Path
) -> None:
    """Every 20th customer is served an age one year off: 5 % of rows, the alarm is at 1 %."""
    records = served()
    for record in records[::20]:
        if record["features"]["age"] is not None:
            record["features"]["age"] += 1
    logs = write_lines(tmp_path / "served.jsonl", records)
    result = CliRunner().invoke(
        app,
        [
            "run",
            *("--logs", str(logs), "--metadata", str(metadata_path), "--lake", str(lake)),
            *("--now", NOW.isoformat()),
        ],
    )
    documents = emf_documents(result.stdout)
    (model,) = [d for d in documents if "SkewMismatchRate" in d]
    assert model["SkewMismatchRate"] == pytest.approx(20 / 400)
    assert model["SkewMismatchRate"] > 0.01  # the README's alarm condition
    assert model["SkewComparedRows"] == 400.0
    (check_alert,) = [d for d in documents if d.get("Check") == "skew"]
    assert check_alert["CheckAlert"] == 1.0
    assert result.exit_code == 4


def test_customers_the_run_never_published_count_as_skew(
    tmp_path: Path, metadata_path: Path, lake: Path
) -> None:
    records = served()
    records[0]["customer_ref"] = "f" * 32
    check = skew(tmp_path, metadata_path, lake, records)
    assert check["details"]["missing_in_run"] == 1
    assert check["status"] == "warn"  # 1 of 400 is below the 1 % alert rate


def test_runs_without_success_or_with_odd_ids_are_not_read(
    tmp_path: Path, metadata_path: Path, lake: Path
) -> None:
    (lake / f"run={STORE_RUN}" / "_SUCCESS").unlink()
    records = served()
    for record in records[:10]:
        record["store_run_id"] = "../../etc"
    check = skew(tmp_path, metadata_path, lake, records)
    unavailable = check["details"]["runs_unavailable"]
    assert "no _SUCCESS" in unavailable[STORE_RUN]
    assert "not a run id" in unavailable["../../etc"]
    assert check["status"] == "skipped"


def test_without_a_lake_skew_is_skipped_not_ok(tmp_path: Path, metadata_path: Path) -> None:
    check = skew(tmp_path, metadata_path, None, served())
    assert check["status"] == "skipped"


def test_a_lake_without_the_customer_ref_key_is_an_input_error(
    tmp_path: Path, metadata_path: Path, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUSTOMER_REF_KEY")
    logs = write_lines(tmp_path / "served.jsonl", served())
    result = CliRunner().invoke(
        app, ["run", "--logs", str(logs), "--metadata", str(metadata_path), "--lake", str(lake)]
    )
    assert result.exit_code == 2
    assert "CUSTOMER_REF_KEY" in result.stderr


def test_the_published_rows_are_read_by_column_name_not_position(
    tmp_path: Path, metadata_path: Path, lake: Path
) -> None:
    assert set(NAMES) <= set(json.loads(json.dumps(served()[0]["features"])))
    check = skew(tmp_path, metadata_path, lake, served())
    assert check["details"]["mismatches_by_feature"] == dict.fromkeys(NAMES, 0)
