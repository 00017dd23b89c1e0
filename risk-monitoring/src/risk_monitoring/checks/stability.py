"""Numerical stability: NaN or infinite feature values or probabilities in served predictions."""

from __future__ import annotations

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.checks.result import ALERT, OK, SKIPPED, CheckResult
from risk_monitoring.config import MonitorSettings


def check_stability(aggregator: LogAggregator, settings: MonitorSettings) -> CheckResult:
    if aggregator.lines.accepted == 0:
        return CheckResult("stability", SKIPPED, "no prediction events")
    by_feature = {
        ref.name: int(aggregator.features.non_finite[j])
        for j, ref in enumerate(aggregator.references)
    }
    probabilities = aggregator.predictions.non_finite_probability
    total = sum(by_feature.values()) + probabilities
    details = {
        "non_finite_count": total,
        "non_finite_features": by_feature,
        "non_finite_probabilities": probabilities,
    }
    status = ALERT if total > settings.max_non_finite else OK
    where = [f"{name}={count}" for name, count in by_feature.items() if count]
    if probabilities:
        where.append(f"probability={probabilities}")
    summary = f"{total} non-finite values" + (f" ({', '.join(where)})" if where else "")
    return CheckResult("stability", status, summary, details)
