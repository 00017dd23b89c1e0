"""Prediction quality once outcomes are known: ROC-AUC, calibration, observed positive rate.

Used by ``risk-monitor run --outcomes`` (labels joined to the logs it reads) and by
``risk-monitor outcomes`` (the lender's repayment file matched to the predictions that judged
those loans: a matured window).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.checks.result import ALERT, OK, SKIPPED, WARN, CheckResult
from risk_monitoring.config import MonitorSettings
from risk_monitoring.io.labels import LabelIndex


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mann-Whitney form of ROC-AUC (ties count one half); needs both classes."""
    positives = labels == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC-AUC needs both classes")
    ranks = rankdata(scores)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def expected_calibration_error(labels: np.ndarray, scores: np.ndarray, n_bins: int) -> float:
    """Weighted mean |mean predicted - observed rate| over equal-width probability bins."""
    if len(labels) == 0:
        raise ValueError("ECE needs at least one prediction")
    bins = np.minimum((scores * n_bins).astype(np.int64), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        mine = bins == b
        total += mine.sum() * abs(scores[mine].mean() - labels[mine].mean())
    return float(total / len(labels))


def quality_summary(
    labels: np.ndarray, scores: np.ndarray, settings: MonitorSettings
) -> dict[str, Any]:
    n_pos = int((labels == 1).sum())
    n_neg = len(labels) - n_pos
    enough = n_pos >= settings.min_labelled_per_class and n_neg >= settings.min_labelled_per_class
    return {
        "labelled": len(labels),
        "positives": n_pos,
        "observed_positive_rate": n_pos / len(labels) if len(labels) else None,
        "mean_probability": float(scores.mean()) if len(scores) else None,
        "roc_auc": roc_auc(labels, scores) if enough else None,
        "ece": expected_calibration_error(labels, scores, settings.calibration_bins)
        if enough
        else None,
    }


@dataclass(frozen=True)
class LabelledPredictions:
    """Served predictions with their outcome; ``windows`` / ``versions`` name each row's group."""

    labels: np.ndarray
    scores: np.ndarray
    windows: np.ndarray
    versions: np.ndarray


def _grouped(
    data: LabelledPredictions, groups: np.ndarray, settings: MonitorSettings
) -> dict[str, Any]:
    return {
        str(key): quality_summary(data.labels[groups == key], data.scores[groups == key], settings)
        for key in np.unique(groups)
    }


def judge_quality(
    data: LabelledPredictions,
    training_roc_auc: float | None,
    settings: MonitorSettings,
    details: dict[str, Any],
) -> CheckResult:
    """Overall and per-version quality against the floors; ``details`` is extended."""
    if len(data.labels) == 0:
        return CheckResult("quality", SKIPPED, "no served prediction matched an outcome", details)
    overall = quality_summary(data.labels, data.scores, settings)
    auc_floor = settings.min_roc_auc
    if training_roc_auc is not None:
        auc_floor = max(auc_floor, training_roc_auc - settings.max_roc_auc_drop)
    details.update(
        overall=overall,
        by_window=_grouped(data, data.windows, settings),
        by_version=_grouped(data, data.versions, settings),
        training_roc_auc=training_roc_auc,
        roc_auc_floor=auc_floor,
    )
    problems = []
    for scope, summary in [("overall", overall), *details["by_version"].items()]:
        if summary["roc_auc"] is not None and summary["roc_auc"] < auc_floor:
            problems.append(f"{scope} ROC-AUC {summary['roc_auc']:.3f} < {auc_floor:.3f}")
        if summary["ece"] is not None and summary["ece"] > settings.max_ece:
            problems.append(f"{scope} ECE {summary['ece']:.3f} > {settings.max_ece:.3f}")
    if problems:
        return CheckResult("quality", ALERT, "; ".join(problems), details)
    if overall["roc_auc"] is None:
        positives, labelled = overall["positives"], overall["labelled"]
        summary = f"too few labels to judge ({positives} positives of {labelled})"
        return CheckResult("quality", WARN, summary, details)
    summary = (
        f"ROC-AUC {overall['roc_auc']:.3f}, ECE {overall['ece']:.3f} "
        f"on {overall['labelled']} labels"
    )
    return CheckResult("quality", OK, summary, details)


def check_quality(
    aggregator: LogAggregator,
    labels: LabelIndex | None,
    training_roc_auc: float | None,
    settings: MonitorSettings,
) -> CheckResult:
    if labels is None:
        return CheckResult("quality", SKIPPED, "no labels given")
    joined = [p for p in aggregator.labelled.values() if np.isfinite(p.probability)]
    details: dict[str, Any] = {
        "join_key": labels.join_key,
        "label_rows": labels.rows_total,
        "label_rows_rejected": dict(labels.rejected),
        "labels_matched": len(aggregator.labelled),
        "labels_unmatched": len(labels.status) - len(aggregator.labelled),
    }
    window_keys = np.array([*aggregator.windows.keys, ""])
    version_keys = np.array([*aggregator.versions.keys, ""])
    data = LabelledPredictions(
        labels=np.array([p.status for p in joined], dtype=np.int64),
        scores=np.clip(np.array([p.probability for p in joined], dtype=float), 0.0, 1.0),
        windows=window_keys[np.array([p.window for p in joined], dtype=np.int64)],
        versions=version_keys[np.array([p.version for p in joined], dtype=np.int64)],
    )
    return judge_quality(data, training_roc_auc, settings, details)
