"""Day one of a model: every customer of the store served once, against a bundle whose reference
statistics came from those same online rows (issue 13's acceptance tests)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from monitoring_factories import (
    LOG_DAY,
    NAMES,
    STORE_RUN,
    customer_ref,
    draw_features,
    metadata_document,
    write_lines,
    write_metadata,
)
from monitoring_stores import materialise, read_store, rows_from_columns
from typer.testing import CliRunner

from risk_monitoring.cli import app

AS_OF = date(2026, 11, 24)


@pytest.fixture(scope="module")
def store_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[int, dict[str, Any]], Path]:
    """The store's rows as the store holds them, and a bundle referencing exactly those rows."""
    directory = tmp_path_factory.mktemp("day-one")
    url = f"sqlite:///{directory / 'store.db'}"
    materialise(
        url, rows_from_columns(draw_features(np.random.default_rng(3), 3000)), AS_OF, STORE_RUN
    )
    rows = read_store(url)
    columns = {
        name: np.array([np.nan if row[name] is None else row[name] for row in rows.values()])
        for name in NAMES
    }
    return rows, write_metadata(directory / "metadata.json", metadata_document(columns))


def serve_everyone(rows: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "event": "prediction",
            "timestamp": (LOG_DAY + timedelta(seconds=5 * i)).isoformat(),
            "request_id": f"req-{customer}",
            "customer_ref": customer_ref(customer),
            "store_run_id": STORE_RUN,
            "model_version": "3",
            "as_of": AS_OF.isoformat(),
            "features": features,
            "probability": 0.1,
            "prediction": 0,
            "threshold": 0.5,
            "latency_ms": 9.0,
        }
        for i, (customer, features) in enumerate(rows.items())
    ]


def monitor(tmp_path: Path, metadata: Path, records: list[dict[str, Any]]) -> tuple[int, dict, str]:
    logs = write_lines(tmp_path / "day-one.jsonl", records)
    result = CliRunner().invoke(
        app,
        [
            "run",
            *("--logs", str(logs), "--metadata", str(metadata)),
            *("--now", "2026-11-26T04:30:00+00:00", "--report-json", str(tmp_path / "r.json")),
            "--no-emf",
        ],
    )
    assert (tmp_path / "r.json").exists(), (result.output, result.exception)
    return result.exit_code, json.loads((tmp_path / "r.json").read_text()), result.stderr


def test_serving_every_customer_once_raises_no_drift_alert(tmp_path: Path, store_rows) -> None:
    rows, metadata = store_rows
    code, report, _ = monitor(tmp_path, metadata, serve_everyone(rows))
    drift = report["checks"]["drift"]
    assert drift["status"] == "ok", drift["summary"]
    assert drift["details"]["drifted_features"] == []
    assert drift["details"]["psi_max"] == pytest.approx(0.0, abs=1e-12)
    assert code == 0
    assert report["alerts"] == []


def test_flag_own_car_set_for_everyone_alerts_naming_it(tmp_path: Path, store_rows) -> None:
    rows, metadata = store_rows
    records = serve_everyone(rows)
    for record in records:
        record["features"] = dict(record["features"], flag_own_car=1)
    code, report, stderr = monitor(tmp_path, metadata, records)
    drift = report["checks"]["drift"]
    assert drift["status"] == "alert"
    assert drift["details"]["drifted_features"] == ["flag_own_car"]
    assert "flag_own_car" in drift["summary"]
    assert code == 6
    assert "alert  drift" in stderr
    assert "flag_own_car" in stderr
