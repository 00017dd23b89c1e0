from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from monitoring_factories import draw_features, prediction_records, write_lines
from sklearn.metrics import roc_auc_score

from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.outcomes import parse_outcomes
from risk_monitoring.quality import expected_calibration_error, roc_auc
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


def labelled_run(tmp_path: Path, metadata_path: Path, informative: bool, by_request: bool):
    rng = np.random.default_rng(21)
    features = draw_features(rng, 3000)
    records = prediction_records(features, seed=21, spacing_seconds=20)
    probabilities = np.array([r["probability"] for r in records])
    truth = probabilities if informative else rng.permutation(probabilities)
    statuses = (rng.random(len(records)) < truth).astype(int)
    logs = write_lines(tmp_path / "p.log", records)
    outcomes = tmp_path / "outcomes.csv"
    if by_request:
        lines = ["request_id,customer_id,status"] + [
            f"{r['request_id']},{r['customer_id']},{s}"
            for r, s in zip(records, statuses, strict=True)
        ]
        lines += ["req-unknown,5000001,1", "req-bad,5000001,maybe"]
    else:
        lines = ["customer_id,as_of,status"] + [
            f"{r['customer_id']},{r['as_of']},{s}" for r, s in zip(records, statuses, strict=True)
        ]
    outcomes.write_text("\n".join(lines) + "\n")
    run = run_monitoring(
        MonitorInputs(
            logs=[str(logs)], metadata=str(metadata_path), outcomes=str(outcomes), now=NOW
        ),
        MonitorSettings(max_roc_auc_drop=0.15),
    )
    return run, statuses, probabilities


def test_informative_model_passes_and_matches_an_independent_auc(
    tmp_path: Path, metadata_path: Path
) -> None:
    run, statuses, probabilities = labelled_run(tmp_path, metadata_path, True, by_request=True)
    check = run.report["checks"]["quality"]
    assert check["status"] == "ok", check["summary"]
    overall = check["details"]["overall"]
    assert overall["roc_auc"] == pytest.approx(roc_auc_score(statuses, probabilities))
    assert overall["labelled"] == 3000
    assert check["details"]["outcomes_unmatched"] == 1
    assert check["details"]["outcome_rows_rejected"] == {"bad_status": 1}
    assert len(check["details"]["by_window"]) == 17  # 3000 requests 20 s apart = 16.7 hours


def test_uninformative_model_alerts_when_joined_by_customer_and_date(
    tmp_path: Path, metadata_path: Path
) -> None:
    run, _, _ = labelled_run(tmp_path, metadata_path, False, by_request=False)
    check = run.report["checks"]["quality"]
    assert check["details"]["join_key"] == "customer_id,as_of"
    assert check["status"] == "alert"
    assert "ROC-AUC" in check["summary"]
    assert run.exit_code == 7


def test_batch_request_outcomes_join_per_customer(tmp_path: Path, metadata_path: Path) -> None:
    # /predict/batch logs one prediction per customer under a single request id.
    rng = np.random.default_rng(5)
    records = prediction_records(draw_features(rng, 40), seed=5, spacing_seconds=20)
    for record in records:
        record["request_id"] = "req-batch-1"
    logs = write_lines(tmp_path / "p.log", records)
    statuses = [i % 2 for i in range(len(records))]
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(
        "request_id,customer_id,status\n"
        + "".join(
            f"req-batch-1,{r['customer_id']},{s}\n" for r, s in zip(records, statuses, strict=True)
        )
    )
    run = run_monitoring(
        MonitorInputs(
            logs=[str(logs)], metadata=str(metadata_path), outcomes=str(outcomes), now=NOW
        ),
        MonitorSettings(),
    )
    details = run.report["checks"]["quality"]["details"]
    assert details["join_key"] == "request_id,customer_id"
    assert details["overall"]["labelled"] == len({r["customer_id"] for r in records})
    assert details["outcome_rows_rejected"] == {}


def test_request_id_outcomes_without_customer_id_are_refused() -> None:
    with pytest.raises(InputError, match="customer_id"):
        parse_outcomes("request_id,status\nreq-1,1\n")
