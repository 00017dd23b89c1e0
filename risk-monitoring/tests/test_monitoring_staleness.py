from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from monitoring_factories import (
    LOG_DAY,
    draw_features,
    metadata_document,
    prediction_records,
    write_lines,
    write_metadata,
)
from monitoring_stores import materialise

from risk_monitoring.config import MonitorSettings
from risk_monitoring.runner import MonitorInputs, run_monitoring


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    records = prediction_records(draw_features(np.random.default_rng(2), 200), as_of="2026-11-24")
    return write_lines(tmp_path / "predictions.log", records)


def store_with_as_of(tmp_path: Path, as_of: date) -> str:
    url = f"sqlite:///{tmp_path / f'store-{as_of}.db'}"
    row = {
        "nb_previous_loans": 3,
        "avg_amount_loans_previous": 110.0,
        "age": 40,
        "years_on_the_job": 5,
        "flag_own_car": 1,
    }
    materialise(url, {5_000_000: row, 5_000_001: row}, as_of, "run-1")
    return url


def staleness(tmp_path: Path, logs: Path, created_days_ago: float, store: str | None, now):
    metadata = write_metadata(
        tmp_path / "metadata.json",
        metadata_document(created_at=now - timedelta(days=created_days_ago)),
    )
    run = run_monitoring(
        MonitorInputs(logs=[str(logs)], metadata=str(metadata), online_store_url=store, now=now),
        MonitorSettings(max_model_age_days=90, max_feature_store_age_days=2),
    )
    return run, run.report["checks"]["staleness"]


def test_fresh_model_and_store_pass(tmp_path: Path, logs: Path) -> None:
    now = LOG_DAY + timedelta(hours=12)
    store = store_with_as_of(tmp_path, now.date() - timedelta(days=1))
    _, check = staleness(tmp_path, logs, 30, store, now)
    assert check["status"] == "ok"
    assert check["details"]["feature_store_age_days"] == 1
    assert check["details"]["model_age_days"] == pytest.approx(30)


def test_old_model_trips_the_limit(tmp_path: Path, logs: Path) -> None:
    now = LOG_DAY + timedelta(hours=12)
    store = store_with_as_of(tmp_path, now.date())
    run, check = staleness(tmp_path, logs, 91, store, now)
    assert check["status"] == "alert"
    assert "model is 91.0 days old" in check["summary"]
    assert run.exit_code == 8


def test_stale_feature_store_trips_the_limit(tmp_path: Path, logs: Path) -> None:
    now = LOG_DAY + timedelta(hours=12)
    store = store_with_as_of(tmp_path, now.date() - timedelta(days=3))
    run, check = staleness(tmp_path, logs, 1, store, now)
    assert check["status"] == "alert"
    assert check["details"]["feature_store_age_days"] == 3
    assert check["details"]["feature_store_as_of_source"] == "online_store"
    assert run.exit_code == 8


def test_without_a_store_the_latest_served_as_of_is_judged(tmp_path: Path, logs: Path) -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)  # served as_of 2026-11-24 is 6 days old
    _, check = staleness(tmp_path, logs, 1, None, now)
    assert check["status"] == "alert"
    assert check["details"]["feature_store_as_of_source"] == "latest_served_as_of"
    assert check["details"]["feature_store_age_days"] == 6


def test_unreadable_store_is_an_input_error(tmp_path: Path, logs: Path) -> None:
    from risk_monitoring.errors import InputError

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(InputError, match="customer_features"):
        staleness(tmp_path, logs, 1, empty, LOG_DAY)


def test_model_age_counts_from_training_not_from_a_fresh_re_export(
    tmp_path: Path, logs: Path
) -> None:
    # A rollback re-exports an old champion: the bundle is new, the model is not.
    now = LOG_DAY + timedelta(hours=12)
    document = metadata_document(created_at=now - timedelta(hours=1))
    document["trained_at"] = (now - timedelta(days=120)).isoformat()
    metadata = write_metadata(tmp_path / "metadata.json", document)
    run = run_monitoring(
        MonitorInputs(logs=[str(logs)], metadata=str(metadata), online_store_url=None, now=now),
        MonitorSettings(max_model_age_days=90, max_feature_store_age_days=400),
    )
    check = run.report["checks"]["staleness"]
    assert check["details"]["model_age_days"] == pytest.approx(120)
    assert check["status"] == "alert"
