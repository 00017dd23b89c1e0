"""Data drift of served features against the training reference bins: PSI and a binned KS test.

PSI runs over the reference's bins plus one "null" bucket, so a change in the null rate counts
as drift too. KS needs the raw training sample, which the bundle does not ship; the test runs on
the CDFs at the reference bin edges instead. That statistic is the exact KS statistic of the
binned data and a lower bound of the continuous one, so the p-value is conservative (fewer false
alarms, slightly less power). Applied to features with at least 3 non-empty reference bins;
binary features are judged by PSI alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import kolmogorov

from risk_monitoring.config import MonitorSettings
from risk_monitoring.logs import LogAggregator
from risk_monitoring.reference import FeatureReference
from risk_monitoring.results import ALERT, OK, SKIPPED, WARN, CheckResult


def population_stability_index(
    expected: np.ndarray, actual: np.ndarray, epsilon: float = 1e-4
) -> float:
    """PSI of two proportion vectors; buckets empty on both sides carry no information."""
    informative = (expected > 0) | (actual > 0)
    e = np.maximum(expected[informative], epsilon)
    a = np.maximum(actual[informative], epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def with_null_bucket(bin_counts: np.ndarray, null_count: float, total: float) -> np.ndarray:
    """Proportions over [bins..., null] of a sample of ``total`` values."""
    if total <= 0:
        return np.zeros(len(bin_counts) + 1)
    non_null = bin_counts.sum()
    shares = bin_counts / non_null if non_null > 0 else np.zeros(len(bin_counts))
    return np.append(shares * (1 - null_count / total), null_count / total)


def binned_ks(
    reference_counts: np.ndarray, served_counts: np.ndarray
) -> tuple[float, float] | None:
    """(statistic, p-value) of the two-sample KS test on binned data; None if a side is empty."""
    n_reference, n_served = reference_counts.sum(), served_counts.sum()
    if n_reference == 0 or n_served == 0:
        return None
    reference_cdf = np.cumsum(reference_counts) / n_reference
    served_cdf = np.cumsum(served_counts) / n_served
    statistic = float(np.max(np.abs(reference_cdf - served_cdf)))
    effective_n = n_reference * n_served / (n_reference + n_served)
    root = math.sqrt(effective_n)
    # Stephens' small-sample correction of the asymptotic Kolmogorov distribution.
    p_value = float(kolmogorov((root + 0.12 + 0.11 / root) * statistic))
    return statistic, min(max(p_value, 0.0), 1.0)


@dataclass
class FeatureDrift:
    name: str
    psi: float | None
    ks_statistic: float | None
    ks_p_value: float | None
    ks_significant: bool
    served_count: int
    served_null_share: float | None
    psi_by_window: list[float | None]
    status: str


def _reference_distribution(reference: FeatureReference) -> np.ndarray:
    return np.append(reference.proportions() * (1 - reference.null_share), reference.null_share)


def feature_drift(
    reference: FeatureReference,
    bin_counts_by_window: np.ndarray,
    null_counts_by_window: np.ndarray,
    settings: MonitorSettings,
    n_ks_tests: int,
) -> FeatureDrift:
    expected = _reference_distribution(reference)
    psi_by_window: list[float | None] = []
    for counts, nulls in zip(bin_counts_by_window, null_counts_by_window, strict=True):
        total = counts.sum() + nulls
        if total < settings.min_drift_samples:
            psi_by_window.append(None)
            continue
        actual = with_null_bucket(counts, nulls, total)
        psi_by_window.append(population_stability_index(expected, actual, settings.psi_epsilon))

    counts = bin_counts_by_window.sum(axis=0)
    nulls = int(null_counts_by_window.sum())
    total = int(counts.sum()) + nulls
    if total < settings.min_drift_samples:
        return FeatureDrift(
            reference.name, None, None, None, False, total, None, psi_by_window, SKIPPED
        )
    psi = population_stability_index(
        expected, with_null_bucket(counts, nulls, total), settings.psi_epsilon
    )
    ks_statistic = ks_p_value = None
    ks_significant = False
    if np.count_nonzero(reference.counts) >= 3:
        ks = binned_ks(reference.counts, counts)
        if ks is not None:
            ks_statistic, ks_p_value = ks
            ks_significant = (
                ks_p_value < settings.ks_alpha / max(n_ks_tests, 1)
                and ks_statistic >= settings.ks_min_statistic
            )
    if psi > settings.psi_alert or ks_significant:
        status = ALERT
    elif psi > settings.psi_warn:
        status = WARN
    else:
        status = OK
    return FeatureDrift(
        reference.name,
        psi,
        ks_statistic,
        ks_p_value,
        ks_significant,
        total,
        nulls / total,
        psi_by_window,
        status,
    )


def check_drift(aggregator: LogAggregator, settings: MonitorSettings) -> CheckResult:
    references = aggregator.references
    n_ks_tests = sum(1 for ref in references if np.count_nonzero(ref.counts) >= 3)
    drifts = [
        feature_drift(
            reference,
            aggregator.bin_counts[j],
            aggregator.null_counts[:, j],
            settings,
            n_ks_tests,
        )
        for j, reference in enumerate(references)
    ]
    judged = [d for d in drifts if d.status != SKIPPED]
    details: dict[str, Any] = {
        "features": {
            d.name: {
                "psi": d.psi,
                "ks_statistic": d.ks_statistic,
                "ks_p_value": d.ks_p_value,
                "ks_significant": d.ks_significant,
                "served_count": d.served_count,
                "served_null_share": d.served_null_share,
                "psi_by_window": d.psi_by_window,
                "status": d.status,
            }
            for d in drifts
        },
        "windows": list(aggregator.window_keys),
    }
    if not judged:
        return CheckResult("drift", SKIPPED, "too few served values to judge drift", details)
    drifted = [d.name for d in judged if d.status == ALERT]
    psi_max = max(d.psi for d in judged if d.psi is not None)
    details["psi_max"] = psi_max
    details["drifted_features"] = drifted
    details["drifted_feature_share"] = len(drifted) / len(references)
    window_psis = [p for d in judged for p in d.psi_by_window if p is not None]
    details["window_psi_max"] = max(window_psis) if window_psis else None
    if drifted:
        status = ALERT
    elif any(d.status == WARN for d in judged) or (
        window_psis and max(window_psis) > settings.psi_alert
    ):
        status = WARN
    else:
        status = OK
    summary = (
        f"PSI max {psi_max:.3f}; drifted: {', '.join(drifted) if drifted else 'none'}"
        f" ({len(drifted)}/{len(references)})"
    )
    return CheckResult("drift", status, summary, details)
