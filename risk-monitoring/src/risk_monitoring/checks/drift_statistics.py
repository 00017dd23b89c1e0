"""Drift statistics over bucket counts: PSI as the effect size, a chi-square test for chance.

PSI alone cannot tell drift from sampling noise: without drift its expected value is about
(buckets - 1) / n, so a fixed threshold alarms on small windows by chance. The chi-square
goodness-of-fit test of the served counts against the reference proportions answers "could this
window come from the reference population?" for the window's own n. The reference is the serving
population itself (every customer's online row), so its proportions are taken as known.

The asymptotic chi-square law is poor in the far tail where the alarm threshold sits (p ~ 1e-3
after the correction) unless every bucket expects plenty of rows: small windows would alarm more
often than ``drift_alpha`` says. Below ``MIN_EXPECTED_FOR_ASYMPTOTICS`` the p-value comes from
the exact null distribution of the statistic for that n, simulated from multinomial draws
(seeded; cached per reference and n), with enough draws to resolve the threshold it is compared
with. From ``MAX_SIMULATED_N`` rows on the asymptotic p-value is used whatever the expected
counts: there a sample's PSI stays within about (buckets - 1) / n = 0.001 of the population's
without drift, so the PSI floor of the drift verdict, not the p-value's last digits, decides (and
a rare bucket's tail would otherwise cost a million draws per window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.stats import chi2

MIN_EXPECTED_FOR_ASYMPTOTICS = 50.0
MAX_SIMULATED_N = 10_000
MAX_SIMULATIONS = 200_000
_BATCH = 20_000  # draws simulated at once: bounds the memory of one simulation to a few MB


def population_stability_index(
    reference_counts: np.ndarray, served_counts: np.ndarray, epsilon: float = 1e-4
) -> float:
    """PSI of two count vectors over the same buckets; buckets empty on both sides carry no
    information, an empty side is floored at ``epsilon`` so the index stays finite."""
    expected = reference_counts / reference_counts.sum()
    actual = served_counts / served_counts.sum()
    informative = (expected > 0) | (actual > 0)
    e = np.maximum(expected[informative], epsilon)
    a = np.maximum(actual[informative], epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class ChiSquareTest:
    statistic: float
    degrees_of_freedom: int
    p_value: float
    # "asymptotic", "simulated" (small expected counts), "outside_reference" (served values in a
    # bucket the reference never had: certainly another population) or "single_bucket".
    method: str


@lru_cache(maxsize=256)
def _null_statistics(
    proportions: tuple[float, ...], n: int, simulations: int, seed: int
) -> np.ndarray:
    """Sorted chi-square statistics of ``simulations`` samples of size n from the reference."""
    p = np.asarray(proportions)
    expected = n * p
    rng = np.random.default_rng(seed)
    statistics = np.empty(simulations)
    for start in range(0, simulations, _BATCH):
        draws = rng.multinomial(n, p, size=min(_BATCH, simulations - start))
        statistics[start : start + len(draws)] = (((draws - expected) ** 2) / expected).sum(axis=1)
    statistics.sort()
    statistics.flags.writeable = False
    return statistics


def chi_square_test(
    reference_counts: np.ndarray,
    served_counts: np.ndarray,
    *,
    simulations: int = 20_000,
    seed: int = 0,
    resolve: float | None = None,
) -> ChiSquareTest:
    """Pearson's goodness-of-fit test of ``served_counts`` against the reference proportions.

    ``resolve``: the smallest p-value threshold the result is compared with. Draws are added
    until about 200 simulated statistics lie beyond it (at most ``MAX_SIMULATIONS``): with
    fewer, the simulated tail itself is noisy.
    """
    n = int(served_counts.sum())
    support = reference_counts > 0
    degrees = int(support.sum()) - 1
    if n == 0:
        raise ValueError("chi-square test needs at least one served value")
    if served_counts[~support].sum() > 0:
        return ChiSquareTest(float("inf"), degrees, 0.0, "outside_reference")
    if degrees == 0:
        return ChiSquareTest(0.0, 0, 1.0, "single_bucket")
    proportions = reference_counts[support] / reference_counts[support].sum()
    expected = n * proportions
    statistic = float((((served_counts[support] - expected) ** 2) / expected).sum())
    if expected.min() >= MIN_EXPECTED_FOR_ASYMPTOTICS or n >= MAX_SIMULATED_N:
        return ChiSquareTest(statistic, degrees, float(chi2.sf(statistic, degrees)), "asymptotic")
    if resolve:
        simulations = min(max(simulations, math.ceil(200 / resolve)), MAX_SIMULATIONS)
    null = _null_statistics(tuple(proportions.tolist()), n, simulations, seed)
    # Ties with the observed value count as "at least as extreme" (rounding-safe comparison).
    at_least = len(null) - int(np.searchsorted(null, statistic * (1 - 1e-12), side="left"))
    return ChiSquareTest(statistic, degrees, (1 + at_least) / (simulations + 1), "simulated")
