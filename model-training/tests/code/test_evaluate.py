"""Metrics against independent reference implementations and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from model_training.evaluate import (
    choose_threshold,
    compute_metrics,
    expected_calibration_error,
    ks_statistic,
    single_feature_auc,
    slice_metrics,
)


@pytest.fixture
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    y = (rng.random(3000) < 0.08).astype(int)
    scores = np.clip(rng.normal(0.1 + 0.15 * y, 0.08), 0.001, 0.999)
    return y, scores


def test_roc_auc_matches_mann_whitney(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = scored
    u = stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic
    expected = u / ((y == 1).sum() * (y == 0).sum())
    assert compute_metrics(y, s, 0.5, 10)["roc_auc"] == pytest.approx(expected, abs=1e-12)


def test_ks_matches_scipy_two_sample(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = scored
    expected = stats.ks_2samp(s[y == 1], s[y == 0]).statistic
    assert ks_statistic(y, s) == pytest.approx(expected, abs=1e-12)


def test_brier_and_threshold_counts_by_hand() -> None:
    y = np.array([0, 0, 1, 1, 0])
    s = np.array([0.1, 0.6, 0.7, 0.3, 0.2])
    m = compute_metrics(y, s, threshold=0.5, calibration_bins=5)
    assert m["brier"] == pytest.approx((0.01 + 0.36 + 0.09 + 0.49 + 0.04) / 5)
    assert m["precision"] == pytest.approx(1 / 2)  # flagged 0.6 (neg) and 0.7 (pos)
    assert m["recall"] == pytest.approx(1 / 2)
    assert m["flagged_rate"] == pytest.approx(2 / 5)
    assert m["positive_rate"] == pytest.approx(2 / 5)


def test_ece_of_a_perfectly_calibrated_score_is_zero_and_of_a_shifted_one_is_the_shift() -> None:
    # 10 bins of 100 rows; in bin k the score is k/10 and exactly k*10 rows are positive.
    y = np.concatenate([np.r_[np.ones(k * 10), np.zeros(100 - k * 10)] for k in range(10)])
    s = np.repeat(np.arange(10) / 10, 100)
    assert expected_calibration_error(y, s, 10) == pytest.approx(0.0, abs=1e-12)
    assert expected_calibration_error(y, np.minimum(s + 0.05, 1), 10) == pytest.approx(0.05)


def test_max_f1_threshold_is_the_brute_force_optimum(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = scored
    threshold = choose_threshold(y, s, "max_f1")

    def f1(t: float) -> float:
        flagged = s >= t
        tp = (flagged & (y == 1)).sum()
        return 0.0 if tp == 0 else 2 * tp / (flagged.sum() + (y == 1).sum())

    best = max(f1(t) for t in np.unique(s))
    assert f1(threshold) == pytest.approx(best)


def test_target_recall_threshold_reaches_the_target_with_the_fewest_flags(
    scored: tuple[np.ndarray, np.ndarray],
) -> None:
    y, s = scored
    threshold = choose_threshold(y, s, "target_recall", target_recall=0.6)
    recall = ((s >= threshold) & (y == 1)).sum() / (y == 1).sum()
    assert recall >= 0.6
    higher = np.unique(s[s > threshold])[0]
    assert ((s >= higher) & (y == 1)).sum() / (y == 1).sum() < 0.6


def test_slice_metrics_per_group_and_undefined_auc_is_nan() -> None:
    slices = pd.DataFrame({"gender": ["F", "F", "F", "M", "M"]})
    y = np.array([0, 1, 0, 0, 0])
    s = np.array([0.2, 0.9, 0.4, 0.1, 0.8])
    table = slice_metrics(slices, y, s, threshold=0.5).set_index("group")
    assert table.loc["F", "n"] == 3
    assert table.loc["F", "roc_auc"] == pytest.approx(1.0)
    assert math.isnan(table.loc["M", "roc_auc"])  # no positives among M
    assert table.loc["M", "flagged_rate"] == pytest.approx(0.5)


def test_single_feature_auc_is_direction_free_and_ignores_missing() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    x = pd.DataFrame(
        {
            "up": [1.0, 2.0, 5.0, 6.0, 3.0, 7.0],
            "down": [-1.0, -2.0, -5.0, -6.0, -3.0, -7.0],
            "flat": [4.0] * 6,
            "gappy": [1.0, np.nan, 5.0, 6.0, np.nan, 7.0],
        }
    )
    auc = single_feature_auc(x, y)
    assert auc["up"] == pytest.approx(1.0)
    assert auc["down"] == pytest.approx(1.0)
    assert auc["flat"] == pytest.approx(0.5)
    # NaNs sit at the median of the present values (5.5): negatives 1, 5.5, 5.5 vs 5, 6, 7
    u = stats.mannwhitneyu([5.0, 6.0, 7.0], [1.0, 5.5, 5.5]).statistic
    assert auc["gappy"] == pytest.approx(u / 9)
