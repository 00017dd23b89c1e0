"""Training/serving skew: sampled served rows against the online rows their store run published.

Each prediction line names the store run that served it (``store_run_id``); the feature
pipeline keeps that run's online rows in the lake exactly as it published them to the store. A
served value that differs from the published one, or a served customer the run never published,
means the serving path altered what the pipeline computed (a wrong or tampered store, a type
conversion, a cache serving another run).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from risk_monitoring.aggregation.aggregator import SampledRequest
from risk_monitoring.checks.result import ALERT, OK, SKIPPED, WARN, CheckResult
from risk_monitoring.config import MonitorSettings

# Per store run: the published rows by customer_ref, or why they could not be read.
PublishedRows = dict[str, dict[str, dict[str, Any]] | str]


def values_match(served: Any, published: Any, rtol: float, atol: float) -> bool:
    if served is None or published is None:
        return served is None and published is None
    try:
        a, b = float(served), float(published)
    except (TypeError, ValueError):
        return False
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= atol + rtol * abs(b)


def runs_to_check(sample: list[SampledRequest], limit: int) -> list[str]:
    """The store runs that served most of the sample (at most ``limit``)."""
    return [run for run, _ in Counter(r.store_run_id for r in sample).most_common(limit)]


@dataclass
class _Tally:
    names: tuple[str, ...]
    compared: int = 0
    missing: int = 0
    mismatched_rows: int = 0
    by_feature: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def compare(
        self, request: SampledRequest, published: dict[str, Any] | None, settings: MonitorSettings
    ) -> None:
        if published is None:
            self.missing += 1
            return
        self.compared += 1
        rtol, atol = settings.skew_float_rtol, settings.skew_float_atol
        differing = [
            name
            for name in self.names
            if not values_match(request.features.get(name), published.get(name), rtol, atol)
        ]
        self.by_feature.update(differing)
        if differing:
            self.mismatched_rows += 1
            if len(self.examples) < 10:
                self.examples.append(
                    {
                        "request_id": request.request_id,
                        "customer_ref": request.customer_ref,
                        "store_run_id": request.store_run_id,
                        "served": {n: request.features.get(n) for n in differing},
                        "published": {n: published.get(n) for n in differing},
                    }
                )


def check_skew(
    sample: list[SampledRequest],
    published: PublishedRows | None,
    names: tuple[str, ...],
    settings: MonitorSettings,
) -> CheckResult:
    if published is None:
        return CheckResult("skew", SKIPPED, "no lake given: served rows not compared")
    if not sample:
        return CheckResult("skew", SKIPPED, "no served requests to sample")
    tally = _Tally(names)
    unavailable = {run: reason for run, reason in published.items() if isinstance(reason, str)}
    not_checked = Counter[str]()
    for request in sample:
        rows = published.get(request.store_run_id)
        if rows is None or isinstance(rows, str):
            not_checked[request.store_run_id] += 1
            continue
        tally.compare(request, rows.get(request.customer_ref), settings)
    checked = tally.compared + tally.missing
    # A served customer the run never published is skew too (served from another store).
    rate = (tally.mismatched_rows + tally.missing) / checked if checked else 0.0
    details = {
        "sampled": len(sample),
        "runs_compared": sorted(run for run in published if run not in unavailable),
        "runs_unavailable": unavailable,
        "rows_not_checked": dict(not_checked),
        "compared": tally.compared,
        "missing_in_run": tally.missing,
        "mismatched_rows": tally.mismatched_rows,
        "mismatch_rate": rate if checked else None,
        "mismatches_by_feature": {name: tally.by_feature[name] for name in names},
        "examples": tally.examples,
    }
    if checked == 0:
        return CheckResult("skew", SKIPPED, "no sampled row could be compared", details)
    differ = tally.mismatched_rows + tally.missing
    if rate > settings.skew_mismatch_rate_alert:
        status = ALERT
    elif differ or not_checked:
        status = WARN
    else:
        status = OK
    worst = ", ".join(f"{n}={c}" for n, c in tally.by_feature.items()) or "none"
    summary = f"{differ}/{checked} sampled rows differ (rate {rate:.3f}); by feature: {worst}"
    if not_checked:
        summary += f"; {sum(not_checked.values())} rows of unavailable runs not checked"
    return CheckResult("skew", status, summary, details)
