from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from monitoring_factories import LOG_DAY, write_lines
from monitoring_reference_features import handmade_loans, materialise, online_rows, read_loans

from risk_monitoring.config import MonitorSettings
from risk_monitoring.runner import MonitorInputs, run_monitoring
from risk_monitoring.skew import PipelineCommandRecompute, StoreRecompute, values_match

NOW = datetime(2026, 11, 26, tzinfo=UTC)
AS_OF = date(2020, 6, 30)
FEATURES = ("nb_previous_loans", "avg_amount_loans_previous", "age", "years_on_the_job")


def served_records(rows: dict[int, dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    records = []
    for i, (customer, row) in enumerate(sorted(rows.items())):
        records.append(
            {
                "event": "prediction",
                "timestamp": (LOG_DAY + timedelta(seconds=i)).isoformat(),
                "request_id": f"req-{i}",
                "customer_id": str(customer),
                "model_version": "3",
                "as_of": as_of.isoformat(),
                "features": {name: row[name] for name in (*FEATURES, "flag_own_car")},
                "probability": 0.1,
                "prediction": 0,
                "threshold": 0.5,
                "latency_ms": 10.0,
            }
        )
    return records


def skew_check(tmp_path: Path, metadata_path: Path, records, **sources) -> dict[str, Any]:
    logs = write_lines(tmp_path / "served.log", records)
    recompute = sources.pop("recompute", None)
    run = run_monitoring(
        MonitorInputs(logs=[str(logs)], metadata=str(metadata_path), now=NOW, **sources),
        MonitorSettings(skew_sample_size=500),
        recompute=recompute,
    )
    return run.report["checks"]["skew"] | {"exit_code": run.exit_code}


@pytest.fixture
def reference_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'recomputed.db'}"
    materialise(url, online_rows(handmade_loans(), AS_OF), AS_OF)
    return url


def test_values_match_rules() -> None:
    assert values_match(None, None, 1e-6, 1e-6)
    assert not values_match(None, 0, 1e-6, 1e-6)
    assert values_match(118.2000000001, 118.2, 1e-6, 1e-6)
    assert not values_match(118.3, 118.2, 1e-6, 1e-6)
    assert not values_match(float("nan"), 1.0, 1e-6, 1e-6)
    # Skew compares values; a served type error is the invariants check's finding.
    assert values_match("41", 41, 1e-6, 1e-6)
    assert not values_match("forty", 41, 1e-6, 1e-6)


def test_correct_serving_has_no_skew(
    tmp_path: Path, metadata_path: Path, reference_store: str
) -> None:
    records = served_records(online_rows(handmade_loans(), AS_OF), AS_OF)
    check = skew_check(tmp_path, metadata_path, records, recompute_store_url=reference_store)
    assert check["status"] == "ok"
    assert check["details"]["compared"] == len(records) == 4
    assert check["details"]["mismatched_rows"] == 0


def test_ageing_with_today_instead_of_as_of_is_caught(
    tmp_path: Path, metadata_path: Path, reference_store: str
) -> None:
    buggy = online_rows(handmade_loans(), AS_OF, today=AS_OF + timedelta(days=800))
    check = skew_check(
        tmp_path, metadata_path, served_records(buggy, AS_OF), recompute_store_url=reference_store
    )
    by_feature = check["details"]["mismatches_by_feature"]
    assert check["status"] == "alert"
    assert by_feature["age"] == 4
    assert by_feature["nb_previous_loans"] == 0
    assert by_feature["avg_amount_loans_previous"] == 0
    assert check["exit_code"] == 4
    example = check["details"]["examples"][0]
    assert example["served"]["age"] - example["recomputed"]["age"] in (2, 3)


def test_serving_the_last_historical_loan_is_caught(
    tmp_path: Path, metadata_path: Path, reference_store: str
) -> None:
    """The prototype's bug: serving the row of the last loan leaves that loan out."""
    rows = online_rows(handmade_loans(), AS_OF)
    for row in rows.values():
        row["nb_previous_loans"] -= 1
    check = skew_check(
        tmp_path, metadata_path, served_records(rows, AS_OF), recompute_store_url=reference_store
    )
    assert check["details"]["mismatches_by_feature"]["nb_previous_loans"] == 4


def test_customers_unknown_to_the_recompute_count_as_skew(
    tmp_path: Path, metadata_path: Path, reference_store: str
) -> None:
    records = served_records(online_rows(handmade_loans(), AS_OF), AS_OF)
    records[0]["customer_id"] = "9999999"
    check = skew_check(tmp_path, metadata_path, records, recompute_store_url=reference_store)
    assert check["details"]["missing_in_recompute"] == 1
    assert check["status"] == "alert"


def test_store_recompute_per_as_of(tmp_path: Path, reference_store: str) -> None:
    source = StoreRecompute({AS_OF.isoformat(): reference_store})
    rows = source.features_as_of(AS_OF.isoformat(), [5008804, 5008806, 1])
    assert set(rows) == {5008804, 5008806}
    assert rows[5008806]["years_on_the_job"] is None  # the 3021 sentinel is null


def _venv_tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


_PIPELINE = _venv_tool("feature-pipeline")


@pytest.mark.slow
@pytest.mark.skipif(
    _PIPELINE is None and os.environ.get("CI") != "true",
    reason="feature-pipeline command not installed",
)
def test_real_feature_pipeline_command_catches_the_today_bug(
    tmp_path: Path, metadata_path: Path
) -> None:
    """End to end with the pipeline's own code, run through its console command (Spark)."""
    raw = tmp_path / "loans.csv"
    subprocess.run(
        [
            _venv_tool("generate-loans") or "generate-loans",
            "--customers",
            "40",
            "--seed",
            "7",
            "--out",
            str(raw),
        ],
        check=True,
        capture_output=True,
    )
    loans = read_loans(raw)
    as_of = date(2020, 7, 1)
    correct = served_records(online_rows(loans, as_of), as_of)[:25]
    buggy = served_records(online_rows(loans, as_of, today=date(2021, 9, 17)), as_of)[:25]
    for record in buggy:
        record["request_id"] += "-bug"
    # One pipeline run serves both checks: the source keeps its store per as_of.
    source = PipelineCommandRecompute(str(raw), command="feature-pipeline")
    check_ok = skew_check(tmp_path, metadata_path, correct, recompute=source)
    assert check_ok["details"]["compared"] == 25
    assert check_ok["details"]["mismatched_rows"] == 0, check_ok["details"]["examples"]
    check_bug = skew_check(tmp_path, metadata_path, buggy, recompute=source)
    assert check_bug["status"] == "alert"
    assert check_bug["details"]["mismatches_by_feature"]["age"] > 0
    source.close()
