from __future__ import annotations

import json

import numpy as np
import pytest
from monitoring_factories import draw_features, metadata_document, prediction_records
from scipy.stats import binom, chisquare

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.checks.drift import check_drift
from risk_monitoring.checks.drift_statistics import chi_square_test, population_stability_index
from risk_monitoring.config import MonitorSettings
from risk_monitoring.io.metadata import parse_metadata

POPULATION = draw_features(np.random.default_rng(0), 20_000)
METADATA = parse_metadata(metadata_document(POPULATION))


def window(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """n requests of customers drawn from the reference population (no drift)."""
    rows = rng.integers(0, len(POPULATION["age"]), n)
    return {name: values[rows] for name, values in POPULATION.items()}


def drift(features: dict[str, np.ndarray], seed: int = 0, **settings: float):
    aggregator = LogAggregator(METADATA, sample_size=0)
    aggregator.consume(json.dumps(r) for r in prediction_records(features, seed=seed))
    return check_drift(aggregator, MonitorSettings(**settings))


def test_psi_matches_hand_computed_value() -> None:
    by_hand = (0.7 - 0.5) * np.log(0.7 / 0.5) + (0.3 - 0.5) * np.log(0.3 / 0.5)
    psi = population_stability_index(np.array([50.0, 50.0]), np.array([7.0, 3.0]))
    assert psi == pytest.approx(by_hand)
    # A bucket empty on both sides (the "unseen" bucket of a categorical) changes nothing.
    with_empty = population_stability_index(np.array([50.0, 0, 50.0]), np.array([7.0, 0, 3.0]))
    assert with_empty == pytest.approx(by_hand)


def test_chi_square_equals_scipy_where_the_asymptotic_law_holds() -> None:
    reference = np.array([300.0, 500.0, 150.0, 50.0])
    served = np.array([400.0, 410.0, 120.0, 70.0])  # every bucket expects >= 50
    expected = chisquare(served, reference / reference.sum() * served.sum())
    test = chi_square_test(reference, served)
    assert test.method == "asymptotic"
    assert test.statistic == pytest.approx(expected.statistic)
    assert test.p_value == pytest.approx(expected.pvalue)


def test_small_expected_counts_use_the_exact_null_distribution() -> None:
    """Two buckets: the statistic is monotone in |k - np|, so the exact p-value is a binomial
    tail. The simulated p-value agrees within its Monte Carlo error (sd ~0.002)."""
    reference, n, observed = np.array([97.0, 3.0]), 50, 5  # 1.5 expected in the rare bucket
    test = chi_square_test(reference, np.array([n - observed, observed], dtype=float), seed=1)
    expected_rare = n * 0.03
    distance = abs(observed - expected_rare)
    k = np.arange(n + 1)
    exact = binom.pmf(k, n, 0.03)[np.abs(k - expected_rare) >= distance - 1e-9].sum()
    assert test.method == "simulated"
    assert test.p_value == pytest.approx(exact, abs=0.01)


def test_served_values_the_reference_never_had_are_certain_drift() -> None:
    test = chi_square_test(np.array([10.0, 0.0, 5.0]), np.array([3.0, 1.0, 2.0]))
    assert (test.method, test.p_value) == ("outside_reference", 0.0)


def test_numeric_buckets_follow_numpy_histogram_and_categories_have_their_own() -> None:
    age = next(f for f in METADATA.features if f.name == "age")
    values = np.concatenate([POPULATION["age"], age.bin_edges, [0.0, 500.0]])
    counts = np.bincount(age.bucket_index(values), minlength=len(age.counts))
    inside = np.clip(values, age.bin_edges[0], age.bin_edges[-1])  # ends clamp into end bins
    np.testing.assert_array_equal(counts, np.histogram(inside, age.bin_edges)[0])
    car = next(f for f in METADATA.features if f.name == "flag_own_car")
    assert car.bucket_index(np.array([0.0, 1.0, 2.0, 0.5])).tolist() == [0, 1, 2, 2]


def test_serving_population_drawn_again_raises_no_alert_even_in_small_windows() -> None:
    rng = np.random.default_rng(5)
    alerts = [drift(window(rng, 100), seed=i).status == "alert" for i in range(150)]
    # drift_alpha = 0.005 per run: more than 3 alerts in 150 would be a 1-in-1000 event.
    assert sum(alerts) <= 3


@pytest.mark.parametrize(
    ("feature", "shift"),
    [
        ("age", lambda values: values + 8),
        ("avg_amount_loans_previous", lambda values: values * 1.4),
        ("flag_own_car", lambda values: np.where(np.arange(len(values)) % 5 < 3, 1.0, 0.0)),
        ("years_on_the_job", lambda values: np.where(np.arange(len(values)) % 2, np.nan, values)),
    ],
)
def test_injected_shift_is_flagged_on_that_feature_only(feature: str, shift) -> None:
    features = window(np.random.default_rng(11), 2000)
    features[feature] = shift(features[feature])
    result = drift(features)
    assert result.status == "alert"
    assert result.details["drifted_features"] == [feature]
    verdict = result.details["features"][feature]
    assert verdict["psi"] >= 0.1
    assert verdict["p_value"] < result.details["p_value_threshold"]


def test_a_significant_but_negligible_shift_does_not_alert() -> None:
    """Large windows make tiny shifts significant; PSI below drift_min_psi keeps them quiet."""
    features = window(np.random.default_rng(12), 4000)
    features["flag_own_car"][:300] = 1.0  # 38 % -> ~43 % owners: PSI ~0.01
    result = drift(features)
    verdict = result.details["features"]["flag_own_car"]
    assert verdict["p_value"] < result.details["p_value_threshold"]
    assert verdict["psi"] < 0.1
    assert result.status == "ok"


def test_drift_within_one_hour_warns_without_alerting() -> None:
    features = window(np.random.default_rng(13), 7200)  # two hours of one request a second
    features["flag_own_car"][3600 : 3600 + 1500] = 1.0  # 25 minutes of car owners only
    result = drift(features)
    assert result.status == "warn"
    assert result.details["windows_with_drift"] == ["2026-11-25T01"]
    assert result.details["drifted_features"] == []
