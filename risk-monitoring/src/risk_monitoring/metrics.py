"""CloudWatch metrics of a run, published as EMF through Powertools ``Metrics``.

``CATALOGUE`` is the list the README's metric table and the infra alarms are built from: each
metric's name, unit, dimension set, meaning and the condition an alarm should use. Powertools
adds the ``service`` dimension to every set. Metrics without a value (ROC-AUC before labels
arrive, skew without a lake) are omitted, never sent as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import Metrics, MetricUnit

from risk_monitoring.checks.result import ALERT

SERVICE = "risk-monitoring"
MODEL = ("service", "ModelName")
VERSION = (*MODEL, "ModelVersion")
FEATURE = (*MODEL, "Feature")
CHECK = (*MODEL, "Check")
COUNT, NONE, MS = MetricUnit.Count, MetricUnit.NoUnit, MetricUnit.Milliseconds


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: MetricUnit
    dimensions: tuple[str, ...]
    meaning: str
    alarm: str  # the condition an alarm should use; "" = context for dashboards


CATALOGUE = (
    MetricSpec(
        "CheckAlert",
        NONE,
        CHECK,
        "1 when the check alerts, else 0 (Check = drift, "
        "invariants, skew, staleness, stability, latency, quality)",
        "Maximum >= 1",
    ),
    MetricSpec("MonitoringAlert", NONE, MODEL, "1 when any check alerts, else 0", "Maximum >= 1"),
    MetricSpec("AlertCount", COUNT, MODEL, "checks in alert", ""),
    MetricSpec("PredictionCount", COUNT, MODEL, "prediction events accepted", ""),
    MetricSpec(
        "RejectedPredictionCount",
        COUNT,
        MODEL,
        "prediction lines missing fields or with wrong types",
        "",
    ),
    MetricSpec("SkippedLineCount", COUNT, MODEL, "log lines that are not prediction events", ""),
    MetricSpec(
        "DriftedFeatureCount",
        COUNT,
        MODEL,
        "features whose drift test fired "
        "(significant for the window's size and PSI >= drift_min_psi)",
        "Maximum >= 1",
    ),
    MetricSpec(
        "DriftPSIMax",
        NONE,
        MODEL,
        "largest PSI over features (effect size; blind to "
        "the sample size, so not an alarm on its own)",
        "",
    ),
    MetricSpec(
        "DriftDetected", NONE, FEATURE, "1 when this feature drifted, else 0", "Maximum >= 1"
    ),
    MetricSpec("DriftPSI", NONE, FEATURE, "PSI against the serving population's buckets", ""),
    MetricSpec(
        "DriftPValue",
        NONE,
        FEATURE,
        "p-value of the chi-square test (before the Bonferroni correction)",
        "",
    ),
    MetricSpec("ServedNullShare", NONE, FEATURE, "share of served values that are null", ""),
    MetricSpec(
        "InvariantViolationCount",
        COUNT,
        MODEL,
        "type, range, schema and null violations plus malformed prediction lines",
        "Sum > 0",
    ),
    MetricSpec(
        "SkewMismatchRate",
        NONE,
        MODEL,
        "share of sampled served rows that differ from the online rows their store run published",
        "Maximum > 0.01",
    ),
    MetricSpec(
        "SkewComparedRows",
        COUNT,
        MODEL,
        "sampled rows compared with the lake",
        "missing for a day = skew not checked (treat missing data as breaching)",
    ),
    MetricSpec(
        "NonFiniteCount", COUNT, MODEL, "NaN/inf feature values and probabilities", "Sum > 0"
    ),
    MetricSpec("ModelAgeDays", NONE, MODEL, "days since metadata.trained_at", "Maximum > 90"),
    MetricSpec(
        "FeatureStoreAgeDays",
        NONE,
        MODEL,
        "days since the online store's latest as_of",
        "Maximum > 2; missing data = breaching",
    ),
    MetricSpec("LatencyP50Ms", MS, MODEL, "worst p50 over model versions", "Maximum > 50"),
    MetricSpec("LatencyP95Ms", MS, MODEL, "worst p95 over model versions", "Maximum > 150"),
    MetricSpec("LatencyP99Ms", MS, MODEL, "worst p99 over model versions", "Maximum > 300"),
    MetricSpec("PredictionCount", COUNT, VERSION, "prediction events of this version", ""),
    MetricSpec("PredictedPositiveRate", NONE, VERSION, "share of predictions = 1", ""),
    MetricSpec("LatencyP50Ms", MS, VERSION, "p50 latency of this version", ""),
    MetricSpec("LatencyP95Ms", MS, VERSION, "p95 latency of this version", ""),
    MetricSpec("LatencyP99Ms", MS, VERSION, "p99 latency of this version", ""),
    MetricSpec(
        "LabelledPredictionCount",
        COUNT,
        MODEL,
        "predictions joined with an outcome (matured window)",
        "",
    ),
    MetricSpec(
        "OutcomeMatchedShare",
        NONE,
        MODEL,
        "share of repayment rows matched to the prediction that judged the loan",
        "Minimum < 0.9 (logs or ids lost)",
    ),
    MetricSpec(
        "OnlineRocAuc",
        NONE,
        MODEL,
        "ROC-AUC of labelled predictions",
        "Minimum < max(0.6, training test ROC-AUC - 0.1)",
    ),
    MetricSpec(
        "OnlineECE",
        NONE,
        MODEL,
        "expected calibration error of labelled predictions",
        "Maximum > 0.1",
    ),
    MetricSpec(
        "OnlinePositiveRate", NONE, MODEL, "observed default rate among labelled predictions", ""
    ),
    MetricSpec("OnlineRocAuc", NONE, VERSION, "ROC-AUC of this version's labelled predictions", ""),
    MetricSpec("OnlineECE", NONE, VERSION, "calibration error of this version", ""),
)
_UNITS = {spec.name: spec.unit for spec in CATALOGUE}

# One dimension set (without ``service``) and the values measured for it.
MetricSet = tuple[dict[str, str], dict[str, Any]]


def _get(mapping: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(mapping, dict) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping


def _alerts(report: dict[str, Any], model: dict[str, str]) -> list[MetricSet]:
    statuses = {name: check["status"] for name, check in report["checks"].items()}
    alerts = sum(status == ALERT for status in statuses.values())
    sets: list[MetricSet] = [
        ({**model, "Check": name}, {"CheckAlert": float(status == ALERT)})
        for name, status in statuses.items()
    ]
    return [(model, {"AlertCount": alerts, "MonitoringAlert": float(alerts > 0)}), *sets]


def _quality(report: dict[str, Any], model: dict[str, str]) -> list[MetricSet]:
    quality = _get(report, "checks", "quality", "details") or {}
    overall = quality.get("overall") or {}
    sets: list[MetricSet] = [
        (
            model,
            {
                "LabelledPredictionCount": overall.get("labelled"),
                "OnlineRocAuc": overall.get("roc_auc"),
                "OnlineECE": overall.get("ece"),
                "OnlinePositiveRate": overall.get("observed_positive_rate"),
                "OutcomeMatchedShare": quality.get("matched_share"),
            },
        )
    ]
    for version, summary in (quality.get("by_version") or {}).items():
        values = {"OnlineRocAuc": summary["roc_auc"], "OnlineECE": summary["ece"]}
        sets.append(({**model, "ModelVersion": version}, values))
    return sets


def _logs(report: dict[str, Any], model: dict[str, str]) -> list[MetricSet]:
    checks = {name: check["details"] for name, check in report["checks"].items()}
    latency = _get(checks, "latency", "versions") or {}

    def worst(percentile: str) -> float | None:
        return max((stats[percentile] for stats in latency.values()), default=None)

    accounting = report["input"]
    drift = checks["drift"]
    values = {
        "PredictionCount": accounting["predictions_accepted"],
        "RejectedPredictionCount": accounting["predictions_rejected"],
        "SkippedLineCount": accounting["lines_skipped"],
        "DriftedFeatureCount": len(drift["drifted_features"]) if "psi_max" in drift else None,
        "DriftPSIMax": drift.get("psi_max"),
        "InvariantViolationCount": _get(checks, "invariants", "violations"),
        "SkewMismatchRate": _get(checks, "skew", "mismatch_rate"),
        "SkewComparedRows": _get(checks, "skew", "compared"),
        "NonFiniteCount": _get(checks, "stability", "non_finite_count"),
        "ModelAgeDays": _get(checks, "staleness", "model_age_days"),
        "FeatureStoreAgeDays": _get(checks, "staleness", "feature_store_age_days"),
        **{f"Latency{p.upper()}Ms": worst(p) for p in ("p50", "p95", "p99")},
    }
    sets: list[MetricSet] = [(model, values)]
    for version, stats in report["versions"].items():
        per_version = {
            "PredictionCount": stats["count"],
            "PredictedPositiveRate": stats["predicted_positive_rate"],
            **{
                f"Latency{p.upper()}Ms": latency.get(version, {}).get(p)
                for p in ("p50", "p95", "p99")
            },
        }
        sets.append(({**model, "ModelVersion": version}, per_version))
    for feature, verdict in drift["features"].items():
        per_feature = {
            "DriftPSI": verdict.get("psi"),
            "DriftPValue": verdict.get("p_value"),
            "DriftDetected": None if "drifted" not in verdict else float(verdict["drifted"]),
            "ServedNullShare": verdict.get("served_null_share"),
        }
        sets.append(({**model, "Feature": feature}, per_feature))
    return sets


def metric_sets(report: dict[str, Any]) -> list[MetricSet]:
    """Every dimension set of a ``run`` or ``outcomes`` report with its values."""
    model = {"ModelName": report["model"]["model_name"]}
    sets = _alerts(report, model)
    if "drift" in report["checks"]:
        sets += _logs(report, model)
    if "quality" in report["checks"]:
        sets += _quality(report, model)
    return sets


def publish(report: dict[str, Any], namespace: str) -> None:
    """Print one EMF document per dimension set on stdout (CloudWatch Logs extracts them)."""
    metrics = Metrics(namespace=namespace, service=SERVICE)
    for dimensions, values in metric_sets(report):
        present = {
            name: float(value)
            for name, value in values.items()
            if value is not None and math.isfinite(float(value))
        }
        if not present:
            continue
        for dimension, label in dimensions.items():
            # add_dimension, not add_dimensions: the latter starts an extra dimension set, and
            # the metrics would also be published under {service} alone, summed across sets.
            metrics.add_dimension(name=dimension, value=label)
        for name, value in present.items():
            metrics.add_metric(name=name, unit=_UNITS[name], value=value)
        metrics.flush_metrics()
        # Powertools keeps metric state per process, and a disabled flush leaves it filled.
        metrics.clear_metrics()
