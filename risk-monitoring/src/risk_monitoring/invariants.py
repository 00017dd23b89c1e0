"""Invariants of served inputs: schema, types, ranges, null rates (docs/contracts/features.md)."""

from __future__ import annotations

from risk_monitoring.config import MonitorSettings
from risk_monitoring.logs import LogAggregator
from risk_monitoring.results import ALERT, OK, SKIPPED, WARN, CheckResult


def check_invariants(aggregator: LogAggregator, settings: MonitorSettings) -> CheckResult:
    rows = aggregator.accepted
    if rows == 0 and aggregator.rejected_total == 0:
        return CheckResult("invariants", SKIPPED, "no prediction events")
    features: dict[str, dict[str, object]] = {}
    violations = 0
    problems: list[str] = []
    for j, reference in enumerate(aggregator.references):
        name = reference.name
        rule = settings.feature_rules.get(name)
        nulls = int(aggregator.null_counts[:, j].sum())
        null_share = nulls / rows if rows else 0.0
        counts = {
            "absent": int(aggregator.absent[j]),
            "wrong_type": int(aggregator.bad_type[j]),
            "non_integer": int(aggregator.non_integer[j]),
            "below_range": int(aggregator.below_range[j]),
            "above_range": int(aggregator.above_range[j]),
            "null_not_allowed": nulls if rule is not None and not rule.nullable else 0,
        }
        feature_violations = sum(counts.values())
        violations += feature_violations
        null_share_limit = reference.null_share + settings.null_share_tolerance
        null_share_exceeded = rule is not None and rule.nullable and null_share > null_share_limit
        if feature_violations:
            problems.append(f"{name}: " + ", ".join(f"{k}={v}" for k, v in counts.items() if v))
        if null_share_exceeded:
            problems.append(f"{name}: null share {null_share:.3f} > {null_share_limit:.3f}")
        features[name] = {
            **counts,
            "null_share": null_share,
            "null_share_limit": null_share_limit,
            "null_share_exceeded": null_share_exceeded,
            "range": [rule.minimum, rule.maximum] if rule else None,
        }
    event_violations = {
        "probability_out_of_range": aggregator.probability_out_of_range,
        "prediction_not_0_or_1": aggregator.bad_prediction,
        "negative_or_non_finite_latency": aggregator.non_finite_latency,
        **{f"rejected_{reason}": count for reason, count in aggregator.rejected.items()},
    }
    for reason, count in event_violations.items():
        if count:
            problems.append(f"{reason}={count}")
    violations += sum(event_violations.values())
    considered = rows + aggregator.rejected_total
    rate = violations / considered if considered else 0.0
    details = {
        "features": features,
        "events": event_violations,
        "violations": violations,
        "violation_rate": rate,
        "rows": rows,
    }
    null_excess = any(f["null_share_exceeded"] for f in features.values())
    if rate > settings.invariant_violation_rate_alert or null_excess:
        status = ALERT
    elif violations:
        status = WARN
    else:
        status = OK
    summary = "; ".join(problems) if problems else f"{rows} rows, no violation"
    return CheckResult("invariants", status, summary, details)
