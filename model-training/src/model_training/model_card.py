"""Model card: Markdown plus PNG plots (ROC, PR, calibration, importance, slices, baseline)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: training runs in containers and CI

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

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
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    candidate_aucs: dict[str, float]
    threshold_strategy: str
    slices: pd.DataFrame
    reliability: pd.DataFrame
    importance: pd.DataFrame
    single_feature_auc: dict[str, float]
    y_validation: np.ndarray
    scores: np.ndarray
    baseline_scores: np.ndarray
    gate: dict[str, Any]
    data: dict[str, Any]
    split_strategy: str
    seed: int
    code_version: str


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    # Fixed metadata: identical inputs give byte-identical PNGs (matplotlib stamps versions).
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def _plots(inputs: CardInputs, plots_dir: Path) -> None:
    y, s, b = inputs.y_validation, inputs.scores, inputs.baseline_scores

    fig, ax = plt.subplots(figsize=(5, 4))
    for label, scores in ((inputs.candidate, s), ("baseline (logistic)", b)):
        fpr, tpr, _ = roc_curve(y, scores)
        ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], "k--", linewidth=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (validation)")
    ax.legend(loc="lower right")
    _save(fig, plots_dir / "roc.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    for label, scores in ((inputs.candidate, s), ("baseline (logistic)", b)):
        precision, recall, _ = precision_recall_curve(y, scores)
        ax.plot(recall, precision, label=label)
    ax.axhline(float(y.mean()), color="k", linestyle="--", linewidth=0.8, label="positive rate")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (validation)")
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
    ax.set(xlabel="drop in ROC-AUC when permuted", title="Permutation importance (validation)")
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
    ax.set_title("Validation metrics per slice")
    _save(fig, plots_dir / "slices.png")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    x = np.arange(len(_COMPARED))
    ax.bar(x - 0.2, [inputs.metrics[m] for m in _COMPARED], 0.4, label=inputs.candidate)
    ax.bar(x + 0.2, [inputs.baseline_metrics[m] for m in _COMPARED], 0.4, label="baseline")
    ax.set_xticks(x, list(_COMPARED))
    ax.set_title("Chosen model vs logistic baseline (validation)")
    ax.legend()
    _save(fig, plots_dir / "baseline_comparison.png")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _gaps(slices: pd.DataFrame, min_positives: int = 30) -> list[str]:
    """Largest ROC-AUC and flagged-share differences between groups of each dimension."""
    lines = ["Group gaps (groups with >= 30 positives):"]
    for dimension, table in slices.groupby("dimension", sort=True):
        usable = table[(table["positives"] >= min_positives) & table["roc_auc"].notna()]
        if len(usable) < 2:
            lines.append(f"- {dimension}: fewer than two groups with enough positives")
            continue
        auc_gap = usable["roc_auc"].max() - usable["roc_auc"].min()
        flag_gap = usable["flagged_rate"].max() - usable["flagged_rate"].min()
        lines.append(f"- {dimension}: ROC-AUC gap {auc_gap:.3f}, flagged-share gap {flag_gap:.3f}")
    return lines


def _markdown(inputs: CardInputs) -> str:
    m, b = inputs.metrics, inputs.baseline_metrics
    ensembles = {k: v for k, v in inputs.candidate_aucs.items() if k != "logistic_regression"}
    if inputs.candidate == "logistic_regression":
        best = max(ensembles.items(), key=lambda kv: kv[1]) if ensembles else None
        verdict = (
            "The logistic baseline was chosen: no tree ensemble beat it on validation ROC-AUC"
            + (f" (best ensemble {best[0]}: {best[1]:.4f})." if best else ".")
        )
    else:
        verdict = (
            f"The chosen {inputs.candidate} beats the logistic baseline on validation ROC-AUC "
            f"({m['roc_auc']:.4f} vs {b['roc_auc']:.4f})."
        )
    lines = [
        f"# Model card: {inputs.model_name} v{inputs.model_version}",
        "",
        "## Model",
        f"- Type: `{inputs.candidate}` (scikit-learn pipeline: median imputation + missing "
        "indicators" + (" + scaling" if inputs.candidate == "logistic_regression" else "") + ")",
        f"- Hyperparameters: `{inputs.params}`",
        f"- MLflow run: `{inputs.run_id}`; code version `{inputs.code_version}`; "
        f"seed {inputs.seed}",
        f"- Inputs, in order: {', '.join(f'`{f}`' for f in FEATURES)} (no identifiers, "
        "no protected attributes)",
        "- Output: probability that the loan is not repaid on time (`status = 1`).",
        "",
        "## Intended use",
        "Ranks loan applications by default risk to support a human credit decision. Not for "
        "fully automated rejection; not validated outside the lender's population.",
        "",
        "## Training data",
        f"- Source: `{inputs.data['source']}`",
        f"- Fingerprint (sha256 of validated content): `{inputs.data['fingerprint']}`",
        f"- Rows: {inputs.data['rows']} ({inputs.data['customers']} customers); train "
        f"{inputs.data['train_rows']} / validation {inputs.data['validation_rows']}",
        f"- Split: by **{inputs.split_strategy}** (no customer on both sides for `customer`).",
        "",
        "## Validation metrics",
        "| metric | chosen | baseline |",
        "|---|---|---|",
        *[f"| {k} | {_fmt(m[k])} | {_fmt(b[k])} |" for k in (*_COMPARED, "log_loss")],
        "",
        f"Decision threshold {m['threshold']:.4f} ({inputs.threshold_strategy} on validation): "
        f"precision {m['precision']:.3f}, recall {m['recall']:.3f}, "
        f"flags {100 * m['flagged_rate']:.1f}% of loans.",
        "",
        "Candidates (validation ROC-AUC): "
        + ", ".join(f"{k} {v:.4f}" for k, v in sorted(inputs.candidate_aucs.items())),
        verdict,
        "",
        "## Features (validation)",
        "| feature | permutation importance (ΔROC-AUC) | ROC-AUC alone |",
        "|---|---|---|",
        *[
            f"| {r.feature} | {r.importance_mean:.4f} ± {r.importance_std:.4f} | "
            f"{inputs.single_feature_auc.get(str(r.feature), math.nan):.4f} |"
            for r in inputs.importance.itertuples(index=False)
        ],
        "",
        "## Slices (validation)",
        "| dimension | group | n | positives | ROC-AUC | precision | recall | flagged |",
        "|---|---|---|---|---|---|---|---|",
        *[
            f"| {r.dimension} | {r.group} | {r.n} | {r.positives} | {_fmt(r.roc_auc)} | "
            f"{_fmt(r.precision)} | {_fmt(r.recall)} | {_fmt(r.flagged_rate)} |"
            for r in inputs.slices.itertuples(index=False)
        ],
        "",
        *_gaps(inputs.slices),
        "",
        "## Quality gate",
        f"Verdict: **{inputs.gate['verdict']}**",
        "",
        *[
            f"- {'PASS' if c['passed'] else 'FAIL'} `{c['name']}`: {c['detail']}"
            for c in inputs.gate["checks"]
        ],
        "",
        "## Limitations and ethical considerations",
        "- Trained on synthetic data shaped like the lender's file; re-validate on real data.",
        "- Age is an input (as in the original model); per-age-band metrics above show how the "
        "model behaves across ages. Gender and income type are never inputs and are used only "
        "to slice the evaluation.",
        "- Default is rare (~1.5%); precision at any useful recall is low. Calibration is "
        "measured with equal-frequency bins.",
        "",
        "## Plots",
        *[f"![{p}](plots/{p})" for p in PLOTS],
        "",
    ]
    return "\n".join(lines)


def write_model_card(inputs: CardInputs, out_dir: Path) -> Path:
    plots_dir = out_dir / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)
    _plots(inputs, plots_dir)
    card = out_dir / "model_card.md"
    card.write_text(_markdown(inputs))
    return card
