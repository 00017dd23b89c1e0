"""The outcomes producer: the lender's repayment file -> labels keyed by customer_ref -> quality."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from monitoring_factories import (
    customer_ref,
    draw_features,
    emf_documents,
    prediction_records,
    write_lines,
)
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from risk_monitoring.cli import app
from risk_monitoring.io.repayments import Repayment
from risk_monitoring.outcomes import ServedPrediction, match

DAY = date(2026, 9, 10)


def prediction(day: date, request_id: str, hour: int = 12) -> ServedPrediction:
    timestamp = datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()
    return ServedPrediction(timestamp, day, request_id, "3", 0.2)


def test_a_loan_is_judged_by_the_latest_prediction_on_or_before_its_date() -> None:
    predictions = {
        "a": [
            prediction(DAY - timedelta(days=40), "too-old"),
            prediction(DAY - timedelta(days=3), "earlier"),
            prediction(DAY, "that-day", hour=9),
            prediction(DAY + timedelta(days=1), "after"),
        ],
        "b": [prediction(DAY - timedelta(days=31), "beyond-30-days")],
    }
    loans = [Repayment("a", DAY, 1), Repayment("b", DAY, 0), Repayment("c", DAY, 0)]
    matched, unmatched = match(loans, predictions, days=30)
    assert [(loan.customer_ref, p.request_id) for loan, p in matched] == [("a", "that-day")]
    assert unmatched == {"no_prediction": 2}


def test_a_prediction_judges_one_loan_and_loans_are_matched_in_date_order() -> None:
    predictions = {"a": [prediction(DAY, "first"), prediction(DAY + timedelta(days=2), "second")]}
    loans = [
        Repayment("a", DAY + timedelta(days=5), 0),  # listed first, applied later
        Repayment("a", DAY, 1),
        Repayment("a", DAY + timedelta(days=6), 0),
    ]
    matched, unmatched = match(loans, predictions, days=30)
    assert [(loan.application_date, p.request_id) for loan, p in matched] == [
        (DAY, "first"),
        (DAY + timedelta(days=5), "second"),
    ]
    assert unmatched == {"prediction_already_used": 1}


@pytest.fixture
def served(tmp_path: Path) -> tuple[Path, list[dict]]:
    """A day of predictions in the daily layout, and a neighbour day with other customers."""
    rng = np.random.default_rng(31)
    records = prediction_records(
        draw_features(rng, 1500),
        start=datetime(2026, 9, 10, tzinfo=UTC),
        spacing_seconds=50,
        customer_ids=list(range(7_000_000, 7_001_500)),
    )
    logs = tmp_path / "predictions"
    day = logs / "2026-09-10"
    day.mkdir(parents=True)
    write_lines(day / "part-1.jsonl.gz", records, extra_lines=("not json",))
    other = logs / "2026-07-01"
    other.mkdir()
    write_lines(other / "part-1.jsonl.gz", prediction_records(draw_features(rng, 10)))
    return logs, records


def repayment_file(path: Path, records: list[dict], seed: int = 3) -> list[int]:
    rng = np.random.default_rng(seed)
    statuses = (rng.random(len(records)) < np.array([r["probability"] for r in records])).astype(
        int
    )
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "application_date", "defaulted", "loan_amount"])
        for i, status in enumerate(statuses):
            writer.writerow([7_000_000 + i, "2026-09-11", status, "120.0"])
        writer.writerow([7_000_000, "2026-09-11", 1, "1"])  # the same loan twice
        writer.writerow(["C-17", "2026-09-11", 0, "1"])
        writer.writerow([9_999_999, "11/09/2026", 0, "1"])
        writer.writerow([9_999_998, "2026-09-11", "yes", "1"])
        writer.writerow([9_999_997, "2026-09-11", 1, "1"])  # never served
    return statuses.tolist()


def test_repayments_become_pseudonymous_labels_and_online_quality(
    tmp_path: Path,
    metadata_path: Path,
    served: tuple[Path, list[dict]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The synthetic scores reach ROC-AUC ~0.64; the bundle's test ROC-AUC is 0.75.
    monkeypatch.setenv("MONITOR_MAX_ROC_AUC_DROP", "0.2")
    logs, records = served
    statuses = repayment_file(tmp_path / "repayments.csv", records)
    result = CliRunner().invoke(
        app,
        [
            "outcomes",
            *("--repayments", str(tmp_path / "repayments.csv"), "--metadata", str(metadata_path)),
            *("--logs", f"{logs}/", "--logs-window", "application_days"),
            *("--labels-out", str(tmp_path / "labels.csv")),
            *("--report-json", str(tmp_path / "outcomes.json"), "--now", "2026-12-01T00:00:00"),
        ],
    )
    labels_text = (tmp_path / "labels.csv").read_text()
    report = json.loads((tmp_path / "outcomes.json").read_text())
    for raw in ("7000000", "7001499", "9999997", "C-17"):
        assert raw not in labels_text
        assert raw not in json.dumps(report)
    labels = list(csv.DictReader(io.StringIO(labels_text)))
    assert len(labels) == 1500
    by_ref = {row["customer_ref"]: row for row in labels}
    first = by_ref[customer_ref(7_000_000)]
    assert (first["request_id"], first["status"]) == (records[0]["request_id"], str(statuses[0]))
    details = report["checks"]["quality"]["details"]
    assert details["repayment_rows"] == 1505
    assert details["repayment_rows_rejected"] == {
        "duplicate_loan": 1,
        "bad_customer_id": 1,
        "bad_application_date": 1,
        "bad_defaulted": 1,
    }
    assert details["unmatched"] == {"no_prediction": 1}
    assert details["matched_share"] == pytest.approx(1500 / 1501)
    expected_auc = roc_auc_score(statuses, [r["probability"] for r in records])
    assert details["overall"]["roc_auc"] == pytest.approx(expected_auc)
    # Only the days a judged prediction can fall on were read (2026-08-12 .. 2026-09-12).
    assert [Path(f).parent.name for f in report["input"]["log_files"]] == ["2026-09-10"]
    assert report["input"]["non_json_lines"] == 1
    model = next(
        d for d in emf_documents(result.stdout) if "OnlineRocAuc" in d and "ModelVersion" not in d
    )
    assert model["OnlineRocAuc"] == pytest.approx(expected_auc)
    assert model["LabelledPredictionCount"] == 1500.0
    assert result.exit_code == 0, result.stderr


def test_labels_written_by_outcomes_are_read_by_run(
    tmp_path: Path, metadata_path: Path, served: tuple[Path, list[dict]]
) -> None:
    logs, records = served
    repayment_file(tmp_path / "repayments.csv", records)
    runner = CliRunner()
    common = ("--metadata", str(metadata_path), "--logs", f"{logs}/2026-09-10/", "--no-emf")
    runner.invoke(
        app,
        [
            "outcomes",
            "--repayments",
            str(tmp_path / "repayments.csv"),
            *common,
            "--labels-out",
            str(tmp_path / "labels.csv"),
        ],
    )
    result = runner.invoke(
        app,
        [
            "run",
            *common,
            "--labels",
            str(tmp_path / "labels.csv"),
            "--report-json",
            str(tmp_path / "report.json"),
        ],
    )
    quality = json.loads((tmp_path / "report.json").read_text())["checks"]["quality"]
    assert quality["details"]["labels_matched"] == 1500, result.output


def test_a_repayment_file_without_its_columns_is_refused(
    tmp_path: Path, metadata_path: Path
) -> None:
    (tmp_path / "r.csv").write_text("id,date,status\n1,2026-09-11,0\n")
    result = CliRunner().invoke(
        app,
        [
            "outcomes",
            "--repayments",
            str(tmp_path / "r.csv"),
            "--metadata",
            str(metadata_path),
            "--logs",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "customer_id, application_date, defaulted" in result.stderr
