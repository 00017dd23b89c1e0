"""The JSON report of a run: verdict, input accounting and fingerprints, per-check details."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from risk_monitoring import __version__
from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.aggregation.predictions import PROBABILITY_BINS
from risk_monitoring.checks.result import CheckResult, exit_code, worst
from risk_monitoring.config import MonitorSettings
from risk_monitoring.io.metadata import BundleMetadata

REPORT_SCHEMA_VERSION = 2


def fingerprint(text: str | None) -> str | None:
    return None if text is None else "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ReadInputs:
    """What a run read, for the report: URIs as given and resolved, and their fingerprints."""

    logs: list[str]
    logs_window: str
    log_files: list[str]
    logs_fingerprint: str
    metadata: str
    metadata_fingerprint: str | None
    labels: str | None
    labels_fingerprint: str | None
    lake: str | None


def model_section(metadata: BundleMetadata) -> dict[str, Any]:
    return {
        "model_name": metadata.model_name,
        "model_version": metadata.model_version,
        "model_sha256": metadata.model_sha256,
        "created_at": metadata.created_at.isoformat(),
        "trained_at": metadata.trained_at.isoformat(),
        "positive_rate": metadata.positive_rate,
        "threshold": metadata.threshold,
        "reference_population": metadata.reference_population,
    }


def verdict(results: list[CheckResult]) -> dict[str, Any]:
    return {
        "status": worst([result.status for result in results]),
        "exit_code": exit_code(results),
        "alerts": [result.name for result in results if result.status == "alert"],
        "checks": {
            result.name: {
                "status": result.status,
                "summary": result.summary,
                "details": result.details,
            }
            for result in results
        },
    }


def _distributions(aggregator: LogAggregator) -> dict[str, Any]:
    result = {}
    for j, reference in enumerate(aggregator.references):
        result[reference.name] = {
            "kind": reference.kind,
            "buckets": reference.bucket_labels(),
            "reference_counts": reference.reference_counts().tolist(),
            "served_counts": aggregator.features.served_counts(j).sum(axis=0).tolist(),
        }
    return result


def build_report(
    now: datetime,
    metadata: BundleMetadata,
    read: ReadInputs,
    aggregator: LogAggregator,
    results: list[CheckResult],
    settings: MonitorSettings,
) -> dict[str, Any]:
    versions = zip(aggregator.versions.keys, aggregator.predictions.versions, strict=True)
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "monitor_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(),
        "now": now.isoformat(),
        **verdict(results),
        "model": model_section(metadata),
        "input": {**asdict(read), **aggregator.lines.as_dict()},
        "versions": {key: stats.as_dict() for key, stats in versions},
        "windows": aggregator.predictions.windows_as_dict(aggregator.windows.keys),
        "distributions": _distributions(aggregator),
        "probability_bins": PROBABILITY_BINS,
        "settings": settings.model_dump(),
    }
