"""Model card: Markdown plus PNG plots (ROC, PR, calibration, importance, slices, baseline)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import matplotlib

matplotlib.use("Agg")  # headless: training runs in containers and CI

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

from model_training.bootstrap import Interval
from model_training.contract import FEATURES

PLOTS = (
    "roc.png",
    "pr.png",
    "calibration.png",
    "feature_importance.png",
    "slices.png",
    "baseline_comparison.png",
)
_COMPARED = ("roc_auc", "pr_auc", "ks", "brier", "ece", "precision", "recall")


@dataclass
class CardInputs:
    model_name: str
    model_version: str
    run_id: str
    candidate: str
    params: dict[str, Any]
    fit_plan: str
    metrics: dict[str, float]  # test, chosen model
    baseline_metrics: dict[str, float]  # test, logistic baseline
    test_intervals: dict[str, Interval]
    confidence: float
    segments: dict[str, float]
    candidate_aucs: dict[str, float]  # validation
    threshold_strategy: str
    slices: pd.DataFrame
    reliability: pd.DataFrame
    importance: pd.DataFrame
    single_feature_auc: dict[str, float]
    y_test: np.ndarray
    scores: np.ndarray
    baseline_scores: np.ndarray
    gate: dict[str, Any]
    data: dict[str, Any]
    split: dict[str, Any]
    reference: dict[str, Any]
    seed: int
    code_version: str


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    # Fixed metadata: identical inputs give byte-identical PNGs (matplotlib stamps versions).
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def _plots(inputs: CardInputs, plots_dir: Path) -> None:
    y, s, b = inputs.y_test, inputs.scores, inputs.baseline_scores

    fig, ax = plt.subplots(figsize=(5, 4))
    for label, scores in ((inputs.candidate, s), ("baseline (logistic)", b)):
        fpr, tpr, _ = roc_curve(y, scores)
        ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], "k--", linewidth=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (test)")
    ax.legend(loc="lower right")
    _save(fig, plots_dir / "roc.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    for label, scores in ((inputs.candidate, s), ("baseline (logistic)", b)):
        precision, recall, _ = precision_recall_curve(y, scores)
        ax.plot(recall, precision, label=label)
    ax.axhline(float(y.mean()), color="k", linestyle="--", linewidth=0.8, label="positive rate")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (test)")
    ax.legend(loc="upper right")
    _save(fig, plots_dir / "pr.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    rel = inputs.reliability
    top = max(float(rel["mean_predicted"].max()), float(rel["observed_rate"].max())) * 1.1
    ax.plot([0, top], [0, top], "k--", linewidth=0.8)
    ax.plot(rel["mean_predicted"], rel["observed_rate"], "o-")
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed default rate",
        title=f"Reliability, {len(rel)} equal-frequency bins",
    )
    _save(fig, plots_dir / "calibration.png")

    fig, ax = plt.subplots(figsize=(5, 3))
    imp = inputs.importance.iloc[::-1]
    ax.barh(imp["feature"], imp["importance_mean"], xerr=imp["importance_std"])
    ax.set(xlabel="drop in ROC-AUC when permuted", title="Permutation importance (test)")
    _save(fig, plots_dir / "feature_importance.png")

    table = inputs.slices[["dimension", "group", "n", "positives", "roc_auc", "recall"]].copy()
    table["roc_auc"] = table["roc_auc"].map(lambda v: "n/a" if math.isnan(v) else f"{v:.3f}")
    table["recall"] = table["recall"].map(lambda v: f"{v:.3f}")
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(table) + 0.8))
    ax.axis("off")
    cells = ax.table(
        cellText=table.astype(str).to_numpy().tolist(), colLabels=list(table.columns), loc="center"
    )
    cells.auto_set_font_size(False)
    cells.set_fontsize(9)
    cells.scale(1, 1.3)
    ax.set_title("Test metrics per slice")
    _save(fig, plots_dir / "slices.png")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    x = np.arange(len(_COMPARED))
    ax.bar(x - 0.2, [inputs.metrics[m] for m in _COMPARED], 0.4, label=inputs.candidate)
    ax.bar(x + 0.2, [inputs.baseline_metrics[m] for m in _COMPARED], 0.4, label="baseline")
    ax.set_xticks(x, list(_COMPARED))
    ax.set_title("Chosen model vs logistic baseline (test)")
    ax.legend()
    _save(fig, plots_dir / "baseline_comparison.png")


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def render_markdown(inputs: CardInputs) -> str:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("model_training", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - Markdown rendered from our own figures, not HTML
    )
    template = environment.get_template("model_card.md.j2")
    return template.render(
        card=inputs,
        fmt=_fmt,
        features=FEATURES,
        plots=PLOTS,
        importance=inputs.importance.to_dict("records"),
        slices=inputs.slices.to_dict("records"),
    )


def write_model_card(inputs: CardInputs, out_dir: Path) -> Path:
    plots_dir = out_dir / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)
    _plots(inputs, plots_dir)
    card = out_dir / "model_card.md"
    card.write_text(render_markdown(inputs))
    return card
