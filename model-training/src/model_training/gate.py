"""The quality gate: absolute thresholds, feature usefulness, fairness, and "not worse than the
champion" with statistics, all on the untouched test rows."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from model_training.bootstrap import PairedComparison
from model_training.config import GateConfig
from model_training.evaluate import disparity


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


@dataclass(frozen=True)
class ChampionResult:
    """The champion scored on the challenger's test rows, or why that was not possible."""

    version: str
    comparison: PairedComparison | None = None
    refused: str | None = None


@dataclass(frozen=True)
class GateInputs:
    metrics: dict[str, float]  # test metrics of the challenger
    slices: pd.DataFrame  # test slices
    feature_usefulness: dict[str, tuple[float, float]]  # permutation importance, AUC alone
    champion: ChampionResult | None = None


def evaluate_gate(inputs: GateInputs, config: GateConfig) -> GateVerdict:
    verdict = GateVerdict()

    def add(name: str, passed: bool, detail: str) -> None:
        verdict.checks.append(Check(name, bool(passed), detail))

    m = inputs.metrics
    add(
        "min_roc_auc",
        m["roc_auc"] >= config.min_roc_auc,
        f"ROC-AUC {m['roc_auc']:.4f} vs floor {config.min_roc_auc}",
    )
    lift = m["pr_auc_lift"]
    add(
        "min_pr_auc_lift",
        not math.isnan(lift) and lift >= config.min_pr_auc_lift,
        f"PR-AUC / positive rate {lift:.3f} vs floor {config.min_pr_auc_lift}",
    )
    ceiling = config.max_ece_to_base_rate * m["positive_rate"]
    add(
        "max_ece",
        m["ece"] <= ceiling,
        f"ECE {m['ece']:.5f} vs ceiling {ceiling:.5f} ({config.max_ece_to_base_rate} x base "
        f"rate {m['positive_rate']:.4f})",
    )
    _slice_floors(inputs.slices, config, add)
    _feature_usefulness(inputs.feature_usefulness, config, add)
    _fairness(inputs.slices, config, add)
    _champion(inputs.champion, config, add)
    return verdict


def _slice_floors(slices: pd.DataFrame, config: GateConfig, add: Any) -> None:
    for row in slices.to_dict("records"):
        positives, slice_auc = int(row["positives"]), float(row["roc_auc"])
        if positives < config.min_slice_positives or math.isnan(slice_auc):
            continue
        add(
            f"slice_roc_auc[{row['dimension']}={row['group']}]",
            slice_auc >= config.min_slice_roc_auc,
            f"ROC-AUC {slice_auc:.4f} vs floor {config.min_slice_roc_auc} ({positives} positives)",
        )


def _feature_usefulness(
    usefulness: dict[str, tuple[float, float]], config: GateConfig, add: Any
) -> None:
    for feature, (importance, alone) in usefulness.items():
        add(
            f"feature_useful[{feature}]",
            importance >= config.min_permutation_importance
            or alone >= config.min_single_feature_auc,
            f"permutation importance {importance:.4f} (floor {config.min_permutation_importance})"
            f", ROC-AUC alone {alone:.4f} (floor {config.min_single_feature_auc})",
        )


def _fairness(slices: pd.DataFrame, config: GateConfig, add: Any) -> None:
    for dimension in config.fairness_dimensions:
        if dimension not in set(slices["dimension"]):
            add(
                f"fairness[{dimension}]",
                False,
                f"no {dimension} slices: pass --raw (the raw loans file) to evaluate them",
            )
            continue
        ratios = disparity(slices, dimension, config.min_slice_positives)
        if ratios is None:
            add(
                f"fairness[{dimension}]",
                True,
                f"fewer than two groups with {config.min_slice_positives} positives",
            )
            continue
        add(
            f"fairness[{dimension}]",
            ratios["auc_ratio"] >= config.min_auc_ratio
            and ratios["approval_ratio"] >= config.min_approval_ratio,
            f"min/max ROC-AUC {ratios['auc_ratio']:.3f} (floor {config.min_auc_ratio}), "
            f"min/max approval rate {ratios['approval_ratio']:.3f} "
            f"(floor {config.min_approval_ratio}) over {ratios['groups']}",
        )


def _champion(champion: ChampionResult | None, config: GateConfig, add: Any) -> None:
    if champion is None:
        add("champion_comparison", True, "no champion yet")
    elif champion.refused is not None or champion.comparison is None:
        add("champion_comparison", False, f"champion v{champion.version}: {champion.refused}")
    else:
        c = champion.comparison
        add(
            "champion_comparison",
            c.upper_one_sided >= 0.0,
            f"ROC-AUC minus champion v{champion.version}: {c.difference:+.4f} "
            f"({c.confidence:.0%} interval {c.low:+.4f}..{c.high:+.4f}; one-sided upper bound "
            f"{c.upper_one_sided:+.4f}, vetoed when below 0) on the same test rows, "
            f"{c.replicates} paired customer bootstrap replicates",
        )
