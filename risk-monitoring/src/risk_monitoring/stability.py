"""Numerical stability: NaN or infinite feature values or probabilities in served predictions."""

from __future__ import annotations

from risk_monitoring.config import MonitorSettings
from risk_monitoring.logs import LogAggregator
from risk_monitoring.results import ALERT, OK, SKIPPED, CheckResult


def check_stability(aggregator: LogAggregator, settings: MonitorSettings) -> CheckResult:
    if aggregator.accepted == 0:
        return CheckResult("stability", SKIPPED, "no prediction events")
    by_feature = {
        ref.name: int(aggregator.non_finite_features[j])
        for j, ref in enumerate(aggregator.references)
    }
    total = sum(by_feature.values()) + aggregator.non_finite_probability
    details = {
        "non_finite_count": total,
        "non_finite_features": by_feature,
        "non_finite_probabilities": aggregator.non_finite_probability,
    }
    status = ALERT if total > settings.max_non_finite else OK
    where = [f"{name}={count}" for name, count in by_feature.items() if count]
    if aggregator.non_finite_probability:
        where.append(f"probability={aggregator.non_finite_probability}")
    summary = f"{total} non-finite values" + (f" ({', '.join(where)})" if where else "")
    return CheckResult("stability", status, summary, details)
