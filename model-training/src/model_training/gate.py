"""The quality gate: absolute thresholds plus "no worse than the champion" on the same data."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from model_training.config import GateConfig


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class GateVerdict:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": "pass" if self.passed else "fail",
            "reasons": self.reasons,
            "checks": [asdict(c) for c in self.checks],
        }


def evaluate_gate(
    metrics: dict[str, float],
    slices: pd.DataFrame,
    config: GateConfig,
    champion_roc_auc: float | None = None,
    champion_version: str | None = None,
) -> GateVerdict:
    """`champion_roc_auc` must be the champion's ROC-AUC on the challenger's validation rows."""
    verdict = GateVerdict()

    def add(name: str, passed: bool, detail: str) -> None:
        verdict.checks.append(Check(name, bool(passed), detail))

    auc = metrics["roc_auc"]
    add(
        "min_roc_auc", auc >= config.min_roc_auc, f"ROC-AUC {auc:.4f} vs floor {config.min_roc_auc}"
    )
    lift = metrics["pr_auc_lift"]
    add(
        "min_pr_auc_lift",
        not math.isnan(lift) and lift >= config.min_pr_auc_lift,
        f"PR-AUC / positive rate {lift:.3f} vs floor {config.min_pr_auc_lift}",
    )
    ece = metrics["ece"]
    add("max_ece", ece <= config.max_ece, f"ECE {ece:.4f} vs ceiling {config.max_ece}")
    for row in slices.to_dict("records"):
        positives, slice_auc = int(row["positives"]), float(row["roc_auc"])
        if positives < config.min_slice_positives or math.isnan(slice_auc):
            continue
        add(
            f"slice_roc_auc[{row['dimension']}={row['group']}]",
            slice_auc >= config.min_slice_roc_auc,
            f"ROC-AUC {slice_auc:.4f} vs floor {config.min_slice_roc_auc} ({positives} positives)",
        )
    if champion_roc_auc is None:
        add("champion_comparison", True, "no champion yet")
    else:
        floor = champion_roc_auc - config.champion_tolerance
        add(
            "champion_comparison",
            auc >= floor,
            f"ROC-AUC {auc:.4f} vs champion v{champion_version} {champion_roc_auc:.4f} "
            f"- tolerance {config.champion_tolerance} on the same validation rows",
        )
    return verdict
