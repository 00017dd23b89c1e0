"""CloudWatch metrics in the embedded metric format (EMF), one JSON document per dimension set.

Printed to stdout: in Lambda, CloudWatch Logs extracts the metrics from these lines; anywhere else
they can be shipped by the CloudWatch agent. Hand-written (the format is a few keys) so the job
does not depend on a metrics library. Metrics without a value (e.g. ROC-AUC before labels
arrive) are omitted rather than sent as 0.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from risk_monitoring.results import ALERT, CheckResult

# name -> (unit, description); the README's metric table is generated from this list.
GLOBAL_METRICS: dict[str, tuple[str, str]] = {
    "PredictionCount": ("Count", "prediction events accepted"),
    "SkippedLineCount": ("Count", "log lines that are not prediction events"),
    "RejectedPredictionCount": ("Count", "prediction events missing fields / wrong types"),
    "DriftPSIMax": ("None", "largest PSI over features (whole period)"),
    "DriftedFeatureShare": ("None", "share of features flagged as drifted (0..1)"),
    "InvariantViolationCount": ("Count", "type/range/schema/null violations"),
    "SkewMismatchRate": ("None", "share of sampled rows whose recomputed features differ"),
    "SkewComparedRows": ("Count", "sampled rows checked for skew"),
    "ModelAgeDays": ("None", "days since metadata.trained_at"),
    "FeatureStoreAgeDays": ("None", "days since the online store's latest as_of"),
    "NonFiniteCount": ("Count", "NaN/inf feature values and probabilities"),
    "LatencyP50Ms": ("Milliseconds", "worst p50 over model versions"),
    "LatencyP95Ms": ("Milliseconds", "worst p95 over model versions"),
    "LatencyP99Ms": ("Milliseconds", "worst p99 over model versions"),
    "OnlineRocAuc": ("None", "ROC-AUC of served predictions with known outcomes"),
    "OnlineECE": ("None", "expected calibration error of served predictions"),
    "OnlinePositiveRate": ("None", "observed positive rate among labelled predictions"),
    "LabelledPredictionCount": ("Count", "served predictions joined with an outcome"),
    "AlertCount": ("Count", "checks in alert"),
    "MonitoringAlert": ("None", "1 when any check alerts, else 0"),
}
VERSION_METRICS: dict[str, tuple[str, str]] = {
    "PredictionCount": ("Count", "prediction events of this version"),
    "LatencyP50Ms": ("Milliseconds", "p50 latency"),
    "LatencyP95Ms": ("Milliseconds", "p95 latency"),
    "LatencyP99Ms": ("Milliseconds", "p99 latency"),
    "PredictedPositiveRate": ("None", "share of predictions = 1"),
    "OnlineRocAuc": ("None", "ROC-AUC with known outcomes"),
    "OnlineECE": ("None", "expected calibration error"),
}
FEATURE_METRICS: dict[str, tuple[str, str]] = {
    "DriftPSI": ("None", "PSI of the feature against the training bins"),
    "DriftKSStatistic": ("None", "binned KS statistic (numeric features)"),
    "ServedNullShare": ("None", "share of served values that are null"),
}


def _document(
    namespace: str,
    timestamp: datetime,
    dimensions: dict[str, str],
    values: dict[str, float | None],
    catalogue: dict[str, tuple[str, str]],
) -> dict[str, Any] | None:
    present = {
        name: float(value)
        for name, value in values.items()
        if value is not None and math.isfinite(float(value))
    }
    if not present:
        return None
    return {
        "_aws": {
            "Timestamp": int(timestamp.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [sorted(dimensions)],
                    "Metrics": [
                        {"Name": name, "Unit": catalogue[name][0]} for name in sorted(present)
                    ],
                }
            ],
        },
        **dimensions,
        **present,
    }


def _get(mapping: dict[str, Any], *path: str) -> Any:
    current: Any = mapping
    for key in path:
        if not isinstance(current, dict) or key not in current:
            return None
        current = current[key]
    return current


def build_emf_documents(
    report: dict[str, Any], results: list[CheckResult], namespace: str, timestamp: datetime
) -> list[dict[str, Any]]:
    model = report["model"]["model_name"]
    checks = {result.name: result.details for result in results}
    latency_versions = _get(checks, "latency", "versions") or {}

    def worst_latency(key: str) -> float | None:
        values = [stats[key] for stats in latency_versions.values()]
        return max(values) if values else None

    alert_count = sum(1 for result in results if result.status == ALERT)
    global_values: dict[str, float | None] = {
        "PredictionCount": report["input"]["predictions_accepted"],
        "SkippedLineCount": report["input"]["lines_skipped"],
        "RejectedPredictionCount": report["input"]["predictions_rejected"],
        "DriftPSIMax": _get(checks, "drift", "psi_max"),
        "DriftedFeatureShare": _get(checks, "drift", "drifted_feature_share"),
        "InvariantViolationCount": _get(checks, "invariants", "violations"),
        "SkewMismatchRate": _get(checks, "skew", "mismatch_rate"),
        "SkewComparedRows": _get(checks, "skew", "compared"),
        "ModelAgeDays": _get(checks, "staleness", "model_age_days"),
        "FeatureStoreAgeDays": _get(checks, "staleness", "feature_store_age_days"),
        "NonFiniteCount": _get(checks, "stability", "non_finite_count"),
        "LatencyP50Ms": worst_latency("p50"),
        "LatencyP95Ms": worst_latency("p95"),
        "LatencyP99Ms": worst_latency("p99"),
        "OnlineRocAuc": _get(checks, "quality", "overall", "roc_auc"),
        "OnlineECE": _get(checks, "quality", "overall", "ece"),
        "OnlinePositiveRate": _get(checks, "quality", "overall", "observed_positive_rate"),
        "LabelledPredictionCount": _get(checks, "quality", "overall", "labelled"),
        "AlertCount": alert_count,
        "MonitoringAlert": 1.0 if alert_count else 0.0,
    }
    documents = [
        _document(namespace, timestamp, {"ModelName": model}, global_values, GLOBAL_METRICS)
    ]
    by_version_quality = _get(checks, "quality", "by_version") or {}
    for version, stats in report["versions"].items():
        latency = latency_versions.get(version, {})
        quality = by_version_quality.get(version, {})
        documents.append(
            _document(
                namespace,
                timestamp,
                {"ModelName": model, "ModelVersion": version},
                {
                    "PredictionCount": stats["count"],
                    "LatencyP50Ms": latency.get("p50"),
                    "LatencyP95Ms": latency.get("p95"),
                    "LatencyP99Ms": latency.get("p99"),
                    "PredictedPositiveRate": stats["predicted_positive_rate"],
                    "OnlineRocAuc": quality.get("roc_auc"),
                    "OnlineECE": quality.get("ece"),
                },
                VERSION_METRICS,
            )
        )
    for feature, drift in (_get(checks, "drift", "features") or {}).items():
        documents.append(
            _document(
                namespace,
                timestamp,
                {"ModelName": model, "Feature": feature},
                {
                    "DriftPSI": drift["psi"],
                    "DriftKSStatistic": drift["ks_statistic"],
                    "ServedNullShare": drift["served_null_share"],
                },
                FEATURE_METRICS,
            )
        )
    return [document for document in documents if document is not None]


def emf_lines(documents: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(document, separators=(",", ":"), allow_nan=False) for document in documents]
