from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from monitoring_factories import draw_features, metadata_document, prediction_records, write_lines
from scipy.stats import ks_2samp

from risk_monitoring.config import MonitorSettings
from risk_monitoring.drift import binned_ks, check_drift, population_stability_index
from risk_monitoring.logs import LogAggregator
from risk_monitoring.reference import parse_metadata
from risk_monitoring.runner import MonitorInputs, run_monitoring

NOW = datetime(2026, 11, 26, tzinfo=UTC)
METADATA = parse_metadata(metadata_document())


def drift_status(features: dict[str, np.ndarray], seed: int) -> tuple[str, dict]:
    aggregator = LogAggregator(METADATA, sample_size=0)
    aggregator.consume(json.dumps(r) for r in prediction_records(features, seed=seed))
    result = check_drift(aggregator, MonitorSettings())
    return result.status, result.details


def test_psi_matches_hand_computed_value() -> None:
    expected = np.array([0.5, 0.5])
    actual = np.array([0.7, 0.3])
    by_hand = (0.7 - 0.5) * np.log(0.7 / 0.5) + (0.3 - 0.5) * np.log(0.3 / 0.5)
    assert population_stability_index(expected, actual) == pytest.approx(by_hand)
    assert population_stability_index(expected, expected) == 0.0


def test_psi_ignores_buckets_empty_on_both_sides() -> None:
    # Zero-width quantile bins of a discrete feature are empty in both distributions.
    with_empty = population_stability_index(np.array([0.5, 0.0, 0.5]), np.array([0.6, 0.0, 0.4]))
    without = population_stability_index(np.array([0.5, 0.5]), np.array([0.6, 0.4]))
    assert with_empty == pytest.approx(without)


def test_binned_ks_equals_exact_ks_when_every_value_has_its_own_bin() -> None:
    rng = np.random.default_rng(3)
    reference = rng.integers(0, 8, 4000)
    served = rng.integers(1, 9, 1500)
    edges = np.arange(0, 10) - 0.5
    statistic, p_value = binned_ks(
        np.histogram(reference, edges)[0].astype(float),
        np.histogram(served, edges)[0].astype(float),
    )
    exact = ks_2samp(reference, served)
    assert statistic == pytest.approx(exact.statistic)
    assert p_value < 1e-6
    assert exact.pvalue < 1e-6


@pytest.mark.parametrize(
    ("feature", "shift"),
    [
        ("age", lambda values: values + 8),
        ("avg_amount_loans_previous", lambda values: values * 1.4),
        ("nb_previous_loans", lambda values: np.round(values * 0.5)),
    ],
)
def test_injected_shift_is_flagged_on_that_feature_only(feature: str, shift) -> None:
    features = draw_features(np.random.default_rng(11), 3000)
    features[feature] = shift(features[feature])
    status, details = drift_status(features, seed=11)
    assert status == "alert"
    assert details["drifted_features"] == [feature]
    assert details["features"][feature]["psi"] > 0.2


def test_null_rate_shift_counts_as_drift() -> None:
    features = draw_features(np.random.default_rng(12), 3000)
    features["years_on_the_job"][:1500] = np.nan  # 17 % -> ~58 % null
    status, details = drift_status(features, seed=12)
    assert status == "alert"
    assert "years_on_the_job" in details["drifted_features"]


def test_training_distribution_false_alarm_rate_is_bounded() -> None:
    """200 independent samples of 500 from the training distribution: at most 2 % alert."""
    alerts = 0
    for seed in range(200):
        features = draw_features(np.random.default_rng(10_000 + seed), 500)
        status, _ = drift_status(features, seed)
        alerts += status == "alert"
    assert alerts <= 4


def test_a_six_year_age_shift_is_detected_in_every_sample() -> None:
    """Power counterpart of the false alarm bound: age +6 years, 30 samples of 500."""
    detected = 0
    for seed in range(30):
        features = draw_features(np.random.default_rng(20_000 + seed), 500)
        features["age"] = features["age"] + 6
        status, _ = drift_status(features, seed)
        detected += status == "alert"
    assert detected == 30


def test_end_to_end_shift_exits_with_the_drift_code(tmp_path: Path, metadata_path: Path) -> None:
    features = draw_features(np.random.default_rng(5), 2000)
    features["age"] = features["age"] + 10
    logs = write_lines(tmp_path / "predictions.log", prediction_records(features, seed=5))
    run = run_monitoring(MonitorInputs(logs=[str(logs)], metadata=str(metadata_path), now=NOW))
    assert run.report["checks"]["drift"]["status"] == "alert"
    assert run.exit_code == 6
    assert run.report["alerts"] == ["drift"]
