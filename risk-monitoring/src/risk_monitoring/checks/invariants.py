"""Invariants of served inputs: schema, types, ranges, null rates (docs/contracts/features.md)."""

from __future__ import annotations

from typing import Any

from scipy.stats import binom

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.checks.result import ALERT, OK, SKIPPED, WARN, CheckResult
from risk_monitoring.config import MonitorSettings


def _feature_violations(
    aggregator: LogAggregator, settings: MonitorSettings
) -> dict[str, dict[str, Any]]:
    served = aggregator.features
    rows = aggregator.lines.accepted
    result = {}
    for j, reference in enumerate(aggregator.references):
        rule = settings.feature_rules.get(reference.name)
        nulls = served.null_total(j)
        null_share = nulls / rows if rows else 0.0
        null_share_limit = min(reference.null_share + settings.null_share_tolerance, 1.0)
        # P(at least this many nulls) if the true share sat at the limit.
        excess_p_value = float(binom.sf(nulls - 1, rows, null_share_limit)) if rows else 1.0
        result[reference.name] = {
            "absent": int(served.absent[j]),
            "wrong_type": int(served.bad_type[j]),
            "non_integer": int(served.non_integer[j]),
            "below_range": int(served.below_range[j]),
            "above_range": int(served.above_range[j]),
            "null_not_allowed": nulls if rule is not None and not rule.nullable else 0,
            "null_share": null_share,
            "null_share_limit": null_share_limit,
            "null_share_excess_p_value": excess_p_value,
            "null_share_exceeded": bool(
                rule is not None
                and rule.nullable
                and null_share > null_share_limit
                and excess_p_value < settings.null_share_alpha
            ),
            "range": [rule.minimum, rule.maximum] if rule else None,
        }
    return result


_COUNTED = ("absent", "wrong_type", "non_integer", "below_range", "above_range", "null_not_allowed")


def check_invariants(aggregator: LogAggregator, settings: MonitorSettings) -> CheckResult:
    lines = aggregator.lines
    if lines.accepted == 0 and lines.rejected_total == 0:
        return CheckResult("invariants", SKIPPED, "no prediction events")
    features = _feature_violations(aggregator, settings)
    predictions = aggregator.predictions
    events = {
        "probability_out_of_range": predictions.probability_out_of_range,
        "prediction_not_0_or_1": predictions.bad_prediction,
        "negative_or_non_finite_latency": predictions.bad_latency,
        **{f"rejected_{reason}": count for reason, count in lines.rejected.items()},
    }
    problems = []
    for name, found in features.items():
        counted = {key: found[key] for key in _COUNTED if found[key]}
        if counted:
            problems.append(f"{name}: " + ", ".join(f"{k}={v}" for k, v in counted.items()))
        if found["null_share_exceeded"]:
            limit = found["null_share_limit"]
            problems.append(f"{name}: null share {found['null_share']:.3f} > {limit:.3f}")
    problems += [f"{reason}={count}" for reason, count in events.items() if count]
    violations = sum(f[key] for f in features.values() for key in _COUNTED)
    violations += sum(events.values())
    considered = lines.accepted + lines.rejected_total
    rate = violations / considered if considered else 0.0
    details = {
        "features": features,
        "events": events,
        "violations": violations,
        "violation_rate": rate,
        "rows": lines.accepted,
    }
    null_excess = any(f["null_share_exceeded"] for f in features.values())
    if rate > settings.invariant_violation_rate_alert or null_excess:
        status = ALERT
    elif violations:
        status = WARN
    else:
        status = OK
    summary = "; ".join(problems) if problems else f"{lines.accepted} rows, no violation"
    return CheckResult("invariants", status, summary, details)
