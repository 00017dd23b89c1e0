"""One monitoring run: read the inputs, stream the logs once, run every check, build the report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.checks.drift import check_drift
from risk_monitoring.checks.invariants import check_invariants
from risk_monitoring.checks.latency import check_latency
from risk_monitoring.checks.quality import check_quality
from risk_monitoring.checks.result import CheckResult, exit_code
from risk_monitoring.checks.skew import PublishedRows, check_skew, runs_to_check
from risk_monitoring.checks.stability import check_stability
from risk_monitoring.checks.staleness import check_staleness
from risk_monitoring.config import MonitorSettings
from risk_monitoring.io import lake, storage, store
from risk_monitoring.io.customer_ref import CustomerRefs, load_customer_refs
from risk_monitoring.io.labels import LabelIndex, parse_labels
from risk_monitoring.io.log_files import LogLines, logs_for_window
from risk_monitoring.io.metadata import BundleMetadata, load_metadata, read_metadata_text
from risk_monitoring.report import ReadInputs, build_report, fingerprint


@dataclass
class MonitorInputs:
    logs: list[str]
    metadata: str
    labels: str | None = None
    online_store_url: str | None = None
    store_auth: str = "password"
    # The feature pipeline's output root: the skew check reads run=<store_run_id>/online/.
    lake: str | None = None
    now: datetime | None = None
    # "previous_day": read <prefix><yesterday, UTC>/ of each log prefix; "all": as given.
    logs_window: str = "all"


@dataclass
class MonitoringRun:
    report: dict[str, Any]
    results: list[CheckResult]
    exit_code: int
    aggregator: LogAggregator = field(repr=False)


def evaluation_time(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def _published_rows(
    lake_root: str, refs: CustomerRefs, aggregator: LogAggregator, settings: MonitorSettings
) -> PublishedRows:
    sample, names = aggregator.sample, aggregator.feature_names
    wanted: dict[str, set[str]] = defaultdict(set)
    for request in sample:
        wanted[request.store_run_id].add(request.customer_ref)
    published: PublishedRows = {}
    for run in runs_to_check(sample, settings.skew_max_runs):
        try:
            published[run] = lake.published_rows(lake_root, run, refs, wanted[run], names)
        except lake.RunUnavailableError as error:
            published[run] = str(error)
    return published


def _checks(
    aggregator: LogAggregator,
    metadata: BundleMetadata,
    inputs: MonitorInputs,
    labels: LabelIndex | None,
    published: PublishedRows | None,
    settings: MonitorSettings,
) -> list[CheckResult]:
    now = evaluation_time(inputs.now)  # set by run_monitoring
    store_as_of = None
    if inputs.online_store_url:
        engine = store.create_store_engine(inputs.online_store_url, inputs.store_auth)
        store_as_of = store.latest_as_of(engine)
    staleness = check_staleness(
        metadata, aggregator.as_of_pairs, settings, now, store_as_of, bool(inputs.online_store_url)
    )
    return [
        check_drift(aggregator, settings),
        check_invariants(aggregator, settings),
        check_skew(aggregator.sample, published, aggregator.feature_names, settings),
        staleness,
        check_stability(aggregator, settings),
        check_latency(aggregator, settings),
        check_quality(aggregator, labels, metadata.training_roc_auc, settings),
    ]


def run_monitoring(inputs: MonitorInputs, settings: MonitorSettings | None = None) -> MonitoringRun:
    settings = settings or MonitorSettings()
    inputs = replace(inputs, now=evaluation_time(inputs.now))
    assert inputs.now is not None
    logs = logs_for_window(inputs.logs, inputs.logs_window, inputs.now)
    metadata_text = read_metadata_text(inputs.metadata)
    metadata = load_metadata(metadata_text)
    labels_text = storage.read_text(inputs.labels) if inputs.labels else None
    labels = parse_labels(labels_text) if labels_text is not None else None
    files = storage.expand_inputs(logs)
    # Read before the long pass over the logs, so a missing key fails fast.
    refs = load_customer_refs() if inputs.lake else None
    aggregator = LogAggregator(
        metadata,
        window=settings.window,
        max_windows=settings.max_windows,
        sample_size=settings.skew_sample_size if inputs.lake else 0,
        seed=settings.sample_seed,
        labels=labels,
        feature_bounds={n: (r.minimum, r.maximum) for n, r in settings.feature_rules.items()},
    )
    lines = LogLines(files)
    aggregator.consume(lines)
    if not aggregator.lines.accounted_for:  # every line is a prediction or counted as skipped
        raise RuntimeError(f"line accounting broken: {aggregator.lines.as_dict()}")
    published = None
    if inputs.lake and refs is not None:
        published = _published_rows(inputs.lake, refs, aggregator, settings)
    results = _checks(aggregator, metadata, inputs, labels, published, settings)
    read = ReadInputs(
        logs=logs,
        logs_window=inputs.logs_window,
        log_files=[stored.uri for stored in files],
        logs_fingerprint=lines.fingerprint,
        metadata=inputs.metadata,
        metadata_fingerprint=fingerprint(metadata_text),
        labels=inputs.labels,
        labels_fingerprint=fingerprint(labels_text),
        lake=inputs.lake,
    )
    report = build_report(inputs.now, metadata, read, aggregator, results, settings)
    return MonitoringRun(report, results, exit_code(results), aggregator)
