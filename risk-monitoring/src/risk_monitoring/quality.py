"""Prediction quality on served data once outcomes are known: ROC-AUC, calibration, base rate."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import rankdata

from risk_monitoring.config import MonitorSettings
from risk_monitoring.logs import LogAggregator
from risk_monitoring.outcomes import OutcomeIndex
from risk_monitoring.reference import BundleMetadata
from risk_monitoring.results import ALERT, OK, SKIPPED, WARN, CheckResult


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
        if len(labels) and enough
        else None,
    }


def check_quality(
    aggregator: LogAggregator,
    outcomes: OutcomeIndex | None,
    metadata: BundleMetadata,
    settings: MonitorSettings,
) -> CheckResult:
    if outcomes is None:
        return CheckResult("quality", SKIPPED, "no outcomes given")
    joined = [p for p in aggregator.labelled.values() if np.isfinite(p.probability)]
    details: dict[str, Any] = {
        "join_key": outcomes.join_key,
        "outcome_rows": outcomes.rows_total,
        "outcome_rows_rejected": dict(outcomes.rejected),
        "outcomes_matched": len(aggregator.labelled),
        "outcomes_unmatched": len(outcomes.status) - len(aggregator.labelled),
        "training_positive_rate": metadata.positive_rate,
        "training_roc_auc": metadata.training_roc_auc(),
    }
    if not joined:
        return CheckResult("quality", SKIPPED, "no served prediction matched an outcome", details)
    labels = np.array([p.status for p in joined])
    scores = np.clip(np.array([p.probability for p in joined]), 0.0, 1.0)
    windows = np.array([p.window for p in joined])
    versions = np.array([p.version for p in joined])
    overall = quality_summary(labels, scores, settings)
    details["overall"] = overall
    details["by_window"] = {
        aggregator.window_keys[w]: quality_summary(
            labels[windows == w], scores[windows == w], settings
        )
        for w in np.unique(windows)
    }
    details["by_version"] = {
        aggregator.version_keys[v]: quality_summary(
            labels[versions == v], scores[versions == v], settings
        )
        for v in np.unique(versions)
    }

    auc_floor = settings.min_roc_auc
    training_auc = metadata.training_roc_auc()
    if training_auc is not None:
        auc_floor = max(auc_floor, training_auc - settings.max_roc_auc_drop)
    details["roc_auc_floor"] = auc_floor
    problems = []
    for scope, summary in [("overall", overall), *details["by_version"].items()]:
        if summary["roc_auc"] is not None and summary["roc_auc"] < auc_floor:
            problems.append(f"{scope} ROC-AUC {summary['roc_auc']:.3f} < {auc_floor:.3f}")
        if summary["ece"] is not None and summary["ece"] > settings.max_ece:
            problems.append(f"{scope} ECE {summary['ece']:.3f} > {settings.max_ece:.3f}")
    if problems:
        status = ALERT
    elif overall["roc_auc"] is None:
        status = WARN
        problems.append(
            f"too few labels to judge ({overall['positives']} positives of {overall['labelled']})"
        )
    else:
        status = OK
    summary_text = "; ".join(problems) or (
        f"ROC-AUC {overall['roc_auc']:.3f}, ECE {overall['ece']:.3f} "
        f"on {overall['labelled']} labels"
    )
    return CheckResult("quality", status, summary_text, details)
