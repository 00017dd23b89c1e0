"""One monitoring run: read the inputs, stream the logs once, run every check, build the report."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from risk_monitoring import __version__, storage
from risk_monitoring.config import MonitorSettings
from risk_monitoring.drift import check_drift
from risk_monitoring.errors import InputError
from risk_monitoring.invariants import check_invariants
from risk_monitoring.logs import PROBABILITY_BINS, LogAggregator
from risk_monitoring.outcomes import OutcomeIndex, parse_outcomes
from risk_monitoring.performance import check_performance
from risk_monitoring.quality import check_quality
from risk_monitoring.reference import BundleMetadata, load_metadata
from risk_monitoring.results import CheckResult, exit_code, worst
from risk_monitoring.skew import (
    PipelineCommandRecompute,
    RecomputeSource,
    StoreRecompute,
    check_skew,
)
from risk_monitoring.sources import logs_for_window, store_url_with_secret
from risk_monitoring.stability import check_stability
from risk_monitoring.staleness import check_staleness


@dataclass
class MonitorInputs:
    logs: list[str]
    metadata: str
    outcomes: str | None = None
    online_store_url: str | None = None
    # Skew: either stores already recomputed as of the served dates, or the raw loans file that
    # the feature pipeline's command recomputes from.
    recompute_store_url: str | None = None
    raw_loans: str | None = None
    pipeline_command: str = "feature-pipeline"
    now: datetime | None = None
    # Deployed runs: read only yesterday's prefix of each log prefix ("previous_day"; default
    # "all" = the inputs as given), and fill the store URLs' credentials from this secret.
    logs_window: str | None = None
    store_secret_arn: str | None = None


@dataclass
class MonitoringRun:
    report: dict[str, Any]
    results: list[CheckResult]
    exit_code: int
    aggregator: LogAggregator = field(repr=False)


def _fingerprint(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class _HashingLines:
    """Yields the lines of the log files while hashing them: the run records what it read."""

    def __init__(self, uris: list[str]) -> None:
        self.uris = uris
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        update = self.digest.update
        for uri in self.uris:
            with storage.open_text(uri) as stream:
                while True:
                    block = stream.readlines(1 << 20)
                    if not block:
                        break
                    update("".join(block).encode("utf-8"))
                    yield from block


def _recompute_source(inputs: MonitorInputs) -> RecomputeSource | None:
    if inputs.recompute_store_url:
        return StoreRecompute(inputs.recompute_store_url)
    if inputs.raw_loans:
        return PipelineCommandRecompute(inputs.raw_loans, command=inputs.pipeline_command)
    return None


def _distributions(aggregator: LogAggregator) -> dict[str, Any]:
    result = {}
    for j, reference in enumerate(aggregator.references):
        served = aggregator.bin_counts[j].sum(axis=0)
        nulls = int(aggregator.null_counts[:, j].sum())
        result[reference.name] = {
            "bin_edges": reference.bin_edges.tolist(),
            "reference_share": reference.proportions().tolist(),
            "reference_null_share": reference.null_share,
            "served_counts": served.tolist(),
            "served_nulls": nulls,
        }
    return result


def _versions(aggregator: LogAggregator) -> dict[str, Any]:
    result = {}
    for version, stats in zip(aggregator.version_keys, aggregator.versions, strict=True):
        result[version] = {
            "count": stats.count,
            "predicted_positive_rate": stats.predicted_positive / stats.count
            if stats.count
            else None,
            "mean_probability": stats.probability_sum / stats.count if stats.count else None,
            "probability_histogram": stats.probability_counts.tolist(),
        }
    return result


def _windows(aggregator: LogAggregator) -> dict[str, Any]:
    rows = aggregator.window_rows
    with np.errstate(invalid="ignore", divide="ignore"):
        positive_rate = np.where(rows > 0, aggregator.window_predicted_positive / rows, np.nan)
        mean_probability = np.where(rows > 0, aggregator.window_probability_sum / rows, np.nan)
    return {
        "keys": list(aggregator.window_keys),
        "rows": rows.tolist(),
        "predicted_positive_rate": [None if np.isnan(v) else float(v) for v in positive_rate],
        "mean_probability": [None if np.isnan(v) else float(v) for v in mean_probability],
    }


def run_monitoring(
    inputs: MonitorInputs,
    settings: MonitorSettings | None = None,
    recompute: RecomputeSource | None = None,
) -> MonitoringRun:
    settings = settings or MonitorSettings()
    now = inputs.now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    inputs = replace(
        inputs,
        logs=logs_for_window(inputs.logs, inputs.logs_window, now),
        online_store_url=store_url_with_secret(inputs.online_store_url, inputs.store_secret_arn),
        recompute_store_url=store_url_with_secret(
            inputs.recompute_store_url, inputs.store_secret_arn
        ),
    )
    metadata_text = storage.read_text(inputs.metadata)
    metadata: BundleMetadata = load_metadata(metadata_text)
    outcomes: OutcomeIndex | None = None
    outcomes_text = None
    if inputs.outcomes:
        outcomes_text = storage.read_text(inputs.outcomes)
        outcomes = parse_outcomes(outcomes_text)
    log_files = storage.expand_inputs(inputs.logs)
    if not log_files:
        raise InputError("no prediction log input given")

    aggregator = LogAggregator(
        metadata,
        window=settings.window,
        max_windows=settings.max_windows,
        sample_size=settings.skew_sample_size,
        seed=settings.sample_seed,
        outcomes=outcomes,
    )
    aggregator.set_feature_bounds(
        {name: (rule.minimum, rule.maximum) for name, rule in settings.feature_rules.items()}
    )
    # Built before the long pass over the logs so a missing pipeline command fails fast.
    own_source = _recompute_source(inputs) if recompute is None else None
    lines = _HashingLines(log_files)
    aggregator.consume(lines)

    try:
        skew = check_skew(aggregator, recompute or own_source, settings)
    finally:
        if isinstance(own_source, PipelineCommandRecompute):
            own_source.close()
    results = [
        check_drift(aggregator, settings),
        check_invariants(aggregator, settings),
        skew,
        check_staleness(metadata, aggregator, settings, now, inputs.online_store_url),
        check_stability(aggregator, settings),
        check_performance(aggregator, settings),
        check_quality(aggregator, outcomes, metadata, settings),
    ]
    code = exit_code(results)
    accounted = (
        aggregator.accepted
        + aggregator.rejected_total
        + aggregator.non_json_lines
        + aggregator.blank_lines
        + sum(aggregator.other_events.values())
    )
    report: dict[str, Any] = {
        "schema_version": 1,
        "monitor_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(),
        "now": now.isoformat(),
        "status": worst([result.status for result in results]),
        "exit_code": code,
        "alerts": [result.name for result in results if result.status == "alert"],
        "model": {
            "model_name": metadata.model_name,
            "model_version": metadata.model_version,
            "created_at": metadata.created_at.isoformat(),
            "positive_rate": metadata.positive_rate,
            "threshold": metadata.threshold,
        },
        "input": {
            "logs": inputs.logs,
            "logs_window": inputs.logs_window or "all",
            "log_files": log_files,
            "logs_fingerprint": "sha256:" + lines.digest.hexdigest(),
            "metadata": inputs.metadata,
            "metadata_fingerprint": _fingerprint(metadata_text),
            "outcomes": inputs.outcomes,
            "outcomes_fingerprint": _fingerprint(outcomes_text) if outcomes_text else None,
            "lines_total": aggregator.lines_total,
            "predictions_accepted": aggregator.accepted,
            "predictions_rejected": aggregator.rejected_total,
            "rejected_reasons": dict(aggregator.rejected),
            "lines_skipped": aggregator.skipped_lines,
            "non_json_lines": aggregator.non_json_lines,
            "blank_lines": aggregator.blank_lines,
            "other_events": dict(aggregator.other_events),
            "lines_accounted_for": accounted == aggregator.lines_total,
        },
        "versions": _versions(aggregator),
        "windows": _windows(aggregator),
        "distributions": _distributions(aggregator),
        "probability_bins": PROBABILITY_BINS,
        "checks": {
            result.name: {
                "status": result.status,
                "summary": result.summary,
                "details": result.details,
            }
            for result in results
        },
        "settings": settings.model_dump(),
    }
    if accounted != aggregator.lines_total:  # every line is a prediction or counted as skipped
        raise RuntimeError(f"line accounting broken: {accounted} != {aggregator.lines_total}")
    return MonitoringRun(report, results, code, aggregator)
