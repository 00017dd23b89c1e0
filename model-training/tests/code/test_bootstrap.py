"""Customer bootstrap: weighted metrics against expanded rows, intervals against scipy, and the
paired comparison on models made worse on purpose."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from model_training.bootstrap import RankedScores, metric_intervals, paired_auc_difference


@pytest.fixture
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = (rng.random(2000) < 0.1).astype(int)
    # Rounded, so tied scores exist (ties count one half in ROC-AUC).
    scores = np.round(np.clip(rng.normal(0.3 + 0.2 * y, 0.15), 0, 1), 2)
    return y, scores


def test_weighted_metrics_equal_the_metrics_of_the_duplicated_rows(
    scored: tuple[np.ndarray, np.ndarray],
) -> None:
    y, s = scored
    counts = np.random.default_rng(1).integers(0, 4, len(y))
    expanded_y, expanded_s = np.repeat(y, counts), np.repeat(s, counts)
    got = {k: float(v[0]) for k, v in RankedScores(s, y).metrics(counts[None, :]).items()}
    assert got["roc_auc"] == pytest.approx(roc_auc_score(expanded_y, expanded_s), abs=1e-12)
    assert got["pr_auc"] == pytest.approx(
        average_precision_score(expanded_y, expanded_s), abs=1e-12
    )
    assert got["brier"] == pytest.approx(brier_score_loss(expanded_y, expanded_s), abs=1e-12)
    ks = stats.ks_2samp(expanded_s[expanded_y == 1], expanded_s[expanded_y == 0]).statistic
    assert got["ks"] == pytest.approx(ks, abs=1e-12)


def test_interval_agrees_with_scipy_bootstrap_when_every_row_is_its_own_customer(
    scored: tuple[np.ndarray, np.ndarray],
) -> None:
    y, s = scored
    ours = metric_intervals(y, s, np.arange(len(y)), 2000, 0.9, seed=0)["roc_auc"]
    reference = stats.bootstrap(
        (y, s),
        lambda yy, ss: roc_auc_score(yy, ss),
        paired=True,
        vectorized=False,
        n_resamples=2000,
        confidence_level=0.9,
        method="percentile",
        random_state=0,
    ).confidence_interval
    assert ours.value == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    # Two Monte Carlo estimates of the same quantiles: equal up to resampling noise.
    assert ours.low == pytest.approx(reference.low, abs=0.006)
    assert ours.high == pytest.approx(reference.high, abs=0.006)


def test_interval_is_wider_when_rows_of_a_customer_move_together(
    scored: tuple[np.ndarray, np.ndarray],
) -> None:
    y, s = scored
    # Same rows, grouped in 20 customers of 100 rows sharing their label mix: fewer
    # independent units, so a wider interval than pretending rows are independent.
    order = np.argsort(y, kind="mergesort")
    groups = np.empty(len(y), dtype=int)
    groups[order] = np.arange(len(y)) // 100
    rows = metric_intervals(y, s, np.arange(len(y)), 500, 0.95, seed=0)["roc_auc"]
    customers = metric_intervals(y, s, groups, 500, 0.95, seed=0)["roc_auc"]
    assert customers.high - customers.low > rows.high - rows.low


def test_paired_bootstrap_passes_an_identical_model_and_vetoes_a_worse_one(
    scored: tuple[np.ndarray, np.ndarray],
) -> None:
    y, s = scored
    customers = np.arange(len(y)) // 5
    same = paired_auc_difference(y, s, s.copy(), customers, 500, 0.95, seed=0)
    assert same.difference == 0.0
    assert same.upper_one_sided >= 0.0
    noise = np.random.default_rng(9).normal(0, 0.3, len(y))
    worse = paired_auc_difference(y, s + noise, s, customers, 500, 0.95, seed=0)
    assert worse.difference < -0.05
    assert worse.upper_one_sided < 0.0
    better = paired_auc_difference(y, s, s + noise, customers, 500, 0.95, seed=0)
    assert better.low > 0.0
