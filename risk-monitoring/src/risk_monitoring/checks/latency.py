"""Latency percentiles per model version (from the logged latency_ms) against their limits."""

from __future__ import annotations

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.aggregation.latency_histogram import histogram_quantile
from risk_monitoring.checks.result import ALERT, OK, SKIPPED, CheckResult
from risk_monitoring.config import MonitorSettings


def latency_by_version(aggregator: LogAggregator) -> dict[str, dict[str, float]]:
    result = {}
    versions = aggregator.predictions.versions
    for version, stats in zip(aggregator.versions.keys, versions, strict=True):
        measured = int(stats.latency_counts.sum())
        if measured == 0:
            continue
        low, high = stats.latency_min, stats.latency_max
        result[version] = {
            "count": float(stats.count),
            "p50": histogram_quantile(stats.latency_counts, 0.50, low, high),
            "p95": histogram_quantile(stats.latency_counts, 0.95, low, high),
            "p99": histogram_quantile(stats.latency_counts, 0.99, low, high),
            "max": high,
            "mean": stats.latency_sum / measured,
        }
    return result


def check_latency(aggregator: LogAggregator, settings: MonitorSettings) -> CheckResult:
    versions = latency_by_version(aggregator)
    if not versions:
        return CheckResult("latency", SKIPPED, "no latencies logged")
    limits = {
        "p50": settings.max_latency_p50_ms,
        "p95": settings.max_latency_p95_ms,
        "p99": settings.max_latency_p99_ms,
    }
    breaches = [
        f"{version} {percentile} {stats[percentile]:.1f} ms > {limit:.1f} ms"
        for version, stats in versions.items()
        for percentile, limit in limits.items()
        if stats[percentile] > limit
    ]
    details = {"versions": versions, "limits_ms": limits}
    summary = "; ".join(breaches) or ", ".join(
        f"{version} p99 {stats['p99']:.1f} ms" for version, stats in versions.items()
    )
    return CheckResult("latency", ALERT if breaches else OK, summary, details)
