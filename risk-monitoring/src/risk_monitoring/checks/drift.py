"""Data drift of served features against the serving population of the training run.

Every feature is judged over its buckets (numeric: the reference's quantile bins; categorical:
one bucket per reference value plus "unseen"; both: a null bucket). A feature has drifted when
its served counts are significant against the reference (chi-square p-value below
``drift_alpha`` divided by the number of features judged: Bonferroni, so one run raises a false
alarm with probability at most ``drift_alpha``) **and** the shift matters: PSI beyond its chance
level is at least ``drift_min_psi`` (with millions of requests any negligible change is
significant). A sample's PSI carries a bias of about (buckets - 1) / n even without drift, since
PSI ~ chi-square / n for small shifts; without removing it a shift near the floor would be
"detected" in small windows and missed in large ones. The whole period decides the alert; time
windows with drift (corrected over features x windows) warn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.checks.drift_statistics import chi_square_test, population_stability_index
from risk_monitoring.checks.result import ALERT, OK, SKIPPED, WARN, CheckResult
from risk_monitoring.config import MonitorSettings
from risk_monitoring.io.metadata import FeatureReference


@dataclass(frozen=True)
class DriftJudgement:
    served_count: int
    psi: float
    psi_chance_level: float
    chi_square: float
    p_value: float
    method: str
    drifted: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "served_count": self.served_count,
            "psi": self.psi,
            "psi_chance_level": self.psi_chance_level,
            "chi_square": self.chi_square,
            "p_value": self.p_value,
            "p_value_method": self.method,
            "drifted": self.drifted,
        }


def judge(
    reference: FeatureReference,
    served_counts: np.ndarray,
    p_value_threshold: float,
    settings: MonitorSettings,
) -> DriftJudgement:
    """Drift verdict of one feature for one set of served bucket counts (nulls last)."""
    reference_counts = reference.reference_counts()
    test = chi_square_test(
        reference_counts,
        served_counts,
        simulations=settings.drift_simulations,
        seed=settings.sample_seed,
        resolve=p_value_threshold,
    )
    psi = population_stability_index(reference_counts, served_counts, settings.psi_epsilon)
    n = int(served_counts.sum())
    chance = max(test.degrees_of_freedom, 0) / n
    drifted = bool(test.p_value < p_value_threshold and psi - chance >= settings.drift_min_psi)
    return DriftJudgement(n, psi, chance, test.statistic, test.p_value, test.method, drifted)


def _served_counts(aggregator: LogAggregator, j: int) -> np.ndarray:
    """Per window: value-bucket counts then the null count (windows x buckets)."""
    return aggregator.features.served_counts(j)


def _window_judgements(
    aggregator: LogAggregator, settings: MonitorSettings, n_features: int
) -> list[list[DriftJudgement | None]]:
    by_feature = [_served_counts(aggregator, j) for j in range(n_features)]
    judged_windows = sum(
        1 for counts in by_feature for row in counts if row.sum() >= settings.min_drift_samples
    )
    threshold = settings.drift_alpha / max(judged_windows, 1)
    return [
        [
            judge(reference, row, threshold, settings)
            if row.sum() >= settings.min_drift_samples
            else None
            for row in counts
        ]
        for reference, counts in zip(aggregator.references, by_feature, strict=True)
    ]


def check_drift(aggregator: LogAggregator, settings: MonitorSettings) -> CheckResult:
    references = aggregator.references
    totals = [_served_counts(aggregator, j).sum(axis=0) for j in range(len(references))]
    judged = [bool(total.sum() >= settings.min_drift_samples) for total in totals]
    threshold = settings.drift_alpha / max(sum(judged), 1)
    windows = _window_judgements(aggregator, settings, len(references))
    features: dict[str, Any] = {}
    verdicts: dict[str, DriftJudgement] = {}
    for reference, total, is_judged, by_window in zip(
        references, totals, judged, windows, strict=True
    ):
        verdict = judge(reference, total, threshold, settings) if is_judged else None
        if verdict is not None:
            verdicts[reference.name] = verdict
        features[reference.name] = {
            "kind": reference.kind,
            "status": SKIPPED if verdict is None else (ALERT if verdict.drifted else OK),
            **(verdict.as_dict() if verdict else {"served_count": int(total.sum())}),
            "served_null_share": float(total[-1] / total.sum()) if total.sum() else None,
            "by_window": [w.as_dict() if w else None for w in by_window],
        }
    details: dict[str, Any] = {
        "features": features,
        "windows": list(aggregator.windows.keys),
        "p_value_threshold": threshold,
        "min_psi": settings.drift_min_psi,
    }
    if not verdicts:
        return CheckResult("drift", SKIPPED, "too few served values to judge drift", details)
    drifted = [name for name, verdict in verdicts.items() if verdict.drifted]
    windows_drifted = sorted(
        {
            aggregator.windows.keys[w]
            for by_window in windows
            for w, verdict in enumerate(by_window)
            if verdict and verdict.drifted
        }
    )
    details.update(
        psi_max=max(verdict.psi for verdict in verdicts.values()),
        drifted_features=drifted,
        windows_with_drift=windows_drifted,
    )
    status = ALERT if drifted else (WARN if windows_drifted else OK)
    described = ", ".join(
        f"{name} (PSI {verdicts[name].psi:.3f}, p {verdicts[name].p_value:.1e})" for name in drifted
    )
    summary = f"drifted: {described}" if drifted else "no feature drifted"
    if windows_drifted and not drifted:
        summary += f"; drift within {len(windows_drifted)} window(s)"
    summary += f" (p < {threshold:.1e} and PSI beyond chance >= {settings.drift_min_psi})"
    return CheckResult("drift", status, summary, details)
