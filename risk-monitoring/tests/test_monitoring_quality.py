from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from monitoring_factories import draw_features, prediction_records, write_lines
from sklearn.metrics import roc_auc_score

from risk_monitoring.checks.quality import expected_calibration_error, roc_auc
from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.io.labels import parse_labels
from risk_monitoring.runner import MonitorInputs, run_monitoring

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_roc_auc_agrees_with_scikit_learn_including_ties() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 500)
    scores = np.round(rng.random(500) * 0.5 + labels * 0.2, 2)  # rounding creates ties
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def test_expected_calibration_error_by_hand() -> None:
    labels = np.array([0, 0, 1, 1, 1])
    scores = np.array([0.1, 0.1, 0.9, 0.9, 0.7])
    # bins: [0.1,0.1] mean .1 rate 0 -> .1 * 2; [.7] rate 1 -> .3; [.9,.9] rate 1 -> .1 * 2
    assert expected_calibration_error(labels, scores, 10) == pytest.approx((0.2 + 0.3 + 0.2) / 5)


def labelled_run(tmp_path: Path, metadata_path: Path, informative: bool):
    rng = np.random.default_rng(21)
    records = prediction_records(draw_features(rng, 3000), seed=21, spacing_seconds=20)
    probabilities = np.array([r["probability"] for r in records])
    truth = probabilities if informative else rng.permutation(probabilities)
    statuses = (rng.random(len(records)) < truth).astype(int)
    logs = write_lines(tmp_path / "p.log", records)
    labels = tmp_path / "labels.csv"
    rows = [
        f"{r['customer_ref']},{r['request_id']},{s}" for r, s in zip(records, statuses, strict=True)
    ]
    rows += ["0" * 32 + ",req-unknown,1", "ab" * 16 + ",req-bad,maybe"]
    labels.write_text("customer_ref,request_id,status\n" + "\n".join(rows) + "\n")
    run = run_monitoring(
        MonitorInputs(logs=[str(logs)], metadata=str(metadata_path), labels=str(labels), now=NOW),
        MonitorSettings(max_roc_auc_drop=0.2),
    )
    return run, statuses, probabilities


def test_informative_model_passes_and_matches_an_independent_auc(
    tmp_path: Path, metadata_path: Path
) -> None:
    run, statuses, probabilities = labelled_run(tmp_path, metadata_path, True)
    check = run.report["checks"]["quality"]
    assert check["status"] == "ok", check["summary"]
    overall = check["details"]["overall"]
    assert overall["roc_auc"] == pytest.approx(roc_auc_score(statuses, probabilities))
    assert overall["labelled"] == 3000
    assert check["details"]["labels_unmatched"] == 1
    assert check["details"]["label_rows_rejected"] == {"bad_status": 1}
    assert len(check["details"]["by_window"]) == 17  # 3000 requests 20 s apart = 16.7 hours


def test_uninformative_model_alerts(tmp_path: Path, metadata_path: Path) -> None:
    run, _, _ = labelled_run(tmp_path, metadata_path, False)
    check = run.report["checks"]["quality"]
    assert check["status"] == "alert"
    assert "ROC-AUC" in check["summary"]
    assert run.exit_code == 7


def test_batch_request_labels_join_per_customer(tmp_path: Path, metadata_path: Path) -> None:
    # /predict/batch logs one prediction per customer under a single request id.
    records = prediction_records(draw_features(np.random.default_rng(5), 40), seed=5)
    for record in records:
        record["request_id"] = "req-batch-1"
    logs = write_lines(tmp_path / "p.log", records)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "customer_ref,request_id,status\n"
        + "".join(f"{r['customer_ref']},req-batch-1,{i % 2}\n" for i, r in enumerate(records))
    )
    run = run_monitoring(
        MonitorInputs(logs=[str(logs)], metadata=str(metadata_path), labels=str(labels), now=NOW)
    )
    details = run.report["checks"]["quality"]["details"]
    assert details["join_key"] == "request_id,customer_ref"
    assert details["overall"]["labelled"] == 40
    assert details["label_rows_rejected"] == {}


def test_labels_without_the_key_columns_are_refused() -> None:
    with pytest.raises(InputError, match="customer_ref"):
        parse_labels("request_id,status\nreq-1,1\n")
