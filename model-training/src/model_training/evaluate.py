"""Metrics for a rare-event credit problem, the decision threshold, calibration and slices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import Pipeline


def ks_statistic(y: np.ndarray, scores: np.ndarray) -> float:
    """Kolmogorov-Smirnov: max distance between the score CDFs of positives and negatives."""
    fpr, tpr, _ = roc_curve(y, scores)
    return float(np.max(tpr - fpr))


def reliability_table(y: np.ndarray, scores: np.ndarray, n_bins: int) -> pd.DataFrame:
    """Equal-frequency bins of the score: mean predicted vs observed rate per bin.

    Equal-width bins would put almost every prediction of a ~1.5% event into the first bin and
    hide miscalibration; quantile bins give each bin the same support.
    """
    order = np.argsort(scores, kind="mergesort")
    rows = []
    for bin_index, chunk in enumerate(np.array_split(order, n_bins)):
        if len(chunk) == 0:
            continue
        rows.append(
            {
                "bin": bin_index,
                "count": len(chunk),
                "mean_predicted": float(scores[chunk].mean()),
                "observed_rate": float(y[chunk].mean()),
            }
        )
    return pd.DataFrame(rows)


def expected_calibration_error(y: np.ndarray, scores: np.ndarray, n_bins: int) -> float:
    table = reliability_table(y, scores, n_bins)
    weights = table["count"] / table["count"].sum()
    return float((weights * (table["mean_predicted"] - table["observed_rate"]).abs()).sum())


def choose_threshold(
    y: np.ndarray, scores: np.ndarray, strategy: str, target_recall: float = 0.5
) -> float:
    """Decision threshold chosen on validation data (flag a loan when score >= threshold)."""
    precision, recall, thresholds = precision_recall_curve(y, scores)
    # precision/recall have one more entry than thresholds (the recall=0 end point).
    precision, recall = precision[:-1], recall[:-1]
    if strategy == "max_f1":
        with np.errstate(divide="ignore", invalid="ignore"):
            f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
        return float(thresholds[int(np.argmax(f1))])
    if strategy == "target_recall":
        reaching = np.flatnonzero(recall >= target_recall)
        # thresholds ascend; the last one that still reaches the recall target flags fewest loans.
        return float(thresholds[reaching[-1]]) if len(reaching) else float(thresholds[0])
    raise ValueError(f"unknown threshold strategy {strategy!r}")


def classification_at(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    flagged = scores >= threshold
    true_positive = float(np.sum(flagged & (y == 1)))
    precision = true_positive / flagged.sum() if flagged.any() else 0.0
    recall = true_positive / (y == 1).sum() if (y == 1).any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "flagged_rate": float(flagged.mean()),
    }


def compute_metrics(
    y: np.ndarray, scores: np.ndarray, threshold: float, calibration_bins: int
) -> dict[str, float]:
    y = np.asarray(y)
    scores = np.asarray(scores, dtype="float64")
    positive_rate = float(y.mean())
    pr_auc = float(average_precision_score(y, scores))
    metrics = {
        "n": float(len(y)),
        "positives": float(y.sum()),
        "positive_rate": positive_rate,
        "mean_prediction": float(scores.mean()),
        "roc_auc": float(roc_auc_score(y, scores)),
        "pr_auc": pr_auc,
        "pr_auc_lift": pr_auc / positive_rate if positive_rate > 0 else math.nan,
        "ks": ks_statistic(y, scores),
        "brier": float(brier_score_loss(y, scores)),
        "log_loss": float(log_loss(y, np.clip(scores, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "ece": expected_calibration_error(y, scores, calibration_bins),
        "threshold": float(threshold),
    }
    metrics.update(classification_at(y, scores, threshold))
    return metrics


def slice_metrics(
    slices: pd.DataFrame, y: np.ndarray, scores: np.ndarray, threshold: float
) -> pd.DataFrame:
    """One row per (dimension, group): support, rates, ROC-AUC / PR-AUC where defined."""
    rows: list[dict[str, Any]] = []
    y = np.asarray(y)
    for dimension in slices.columns:
        groups = slices[dimension].to_numpy()
        # "<25" before "25-34": open-ended lower bands first, then by label.
        for group in sorted(pd.unique(groups).tolist(), key=lambda g: (str(g)[:1] != "<", str(g))):
            mask = groups == group
            y_g, s_g = y[mask], scores[mask]
            both = len(np.unique(y_g)) == 2
            row: dict[str, Any] = {
                "dimension": dimension,
                "group": str(group),
                "n": int(mask.sum()),
                "positives": int(y_g.sum()),
                "positive_rate": float(y_g.mean()),
                "mean_prediction": float(s_g.mean()),
                "roc_auc": float(roc_auc_score(y_g, s_g)) if both else math.nan,
                "pr_auc": float(average_precision_score(y_g, s_g)) if both else math.nan,
            }
            row.update(classification_at(y_g, s_g, threshold))
            rows.append(row)
    return pd.DataFrame(rows)


def permutation_importance_table(
    pipeline: Pipeline,
    x: pd.DataFrame,
    y: np.ndarray,
    repeats: int,
    max_rows: int,
    seed: int,
) -> pd.DataFrame:
    """Permutation importance (drop in ROC-AUC) on validation rows, per contract feature."""
    if len(x) > max_rows:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(x), size=max_rows, replace=False))
        x, y = x.iloc[keep], y[keep]
    result = permutation_importance(
        pipeline, x, y, scoring="roc_auc", n_repeats=repeats, random_state=seed, n_jobs=1
    )
    return (
        pd.DataFrame(
            {
                "feature": list(x.columns),
                "importance_mean": result.importances_mean,
                "importance_std": result.importances_std,
            }
        )
        .sort_values("importance_mean", ascending=False, kind="mergesort")
        .reset_index(drop=True)
    )


def single_feature_auc(x: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    """ROC-AUC of each feature on its own (direction-free: max(auc, 1 - auc)).

    Evidence that every input carries signal (ML Test Score, data 2). Missing values are put at
    the feature's median so they neither help nor hurt the ranking.
    """
    result = {}
    for feature in x.columns:
        values = x[feature]
        filled = values.fillna(values.median() if values.notna().any() else 0.0).to_numpy()
        if np.unique(filled).size < 2:
            result[feature] = 0.5
            continue
        auc = float(roc_auc_score(y, filled))
        result[feature] = max(auc, 1.0 - auc)
    return result


def disparity(slices: pd.DataFrame, dimension: str, min_positives: int) -> dict[str, Any] | None:
    """min/max ratios across the groups of one dimension with enough positives.

    `auc_ratio`: the worst group's ROC-AUC over the best group's (quality disparity);
    `approval_ratio`: the lowest share of loans not flagged over the highest (the "four-fifths"
    rule of thumb for adverse impact). None when fewer than two groups qualify.
    """
    table = slices[(slices["dimension"] == dimension) & (slices["positives"] >= min_positives)]
    table = table[table["roc_auc"].notna()]
    if len(table) < 2:
        return None
    approval = 1.0 - table["flagged_rate"]
    return {
        "groups": table["group"].tolist(),
        "auc_ratio": float(table["roc_auc"].min() / table["roc_auc"].max()),
        "approval_ratio": float(approval.min() / approval.max()) if approval.max() > 0 else 0.0,
    }
