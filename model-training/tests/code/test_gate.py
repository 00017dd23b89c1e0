"""Quality gate decisions."""

from __future__ import annotations

import math

import pandas as pd

from model_training.config import GateConfig
from model_training.gate import evaluate_gate

GOOD = {"roc_auc": 0.70, "pr_auc_lift": 2.0, "ece": 0.01}
NO_SLICES = pd.DataFrame(columns=["dimension", "group", "positives", "roc_auc"])


def test_good_model_without_champion_passes() -> None:
    verdict = evaluate_gate(GOOD, NO_SLICES, GateConfig())
    assert verdict.passed
    assert verdict.reasons == []


def test_each_absolute_threshold_can_veto_on_its_own() -> None:
    for key, bad in (("roc_auc", 0.52), ("pr_auc_lift", 1.0), ("ece", 0.2)):
        verdict = evaluate_gate({**GOOD, key: bad}, NO_SLICES, GateConfig())
        assert not verdict.passed
        assert len(verdict.reasons) == 1


def test_nan_lift_fails_rather_than_passes() -> None:
    assert not evaluate_gate({**GOOD, "pr_auc_lift": math.nan}, NO_SLICES, GateConfig()).passed


def test_slice_floor_applies_only_to_slices_with_enough_positives() -> None:
    slices = pd.DataFrame(
        {
            "dimension": ["gender", "gender", "age_band"],
            "group": ["F", "M", "<25"],
            "positives": [100, 100, 5],
            "roc_auc": [0.7, 0.45, 0.30],
        }
    )
    verdict = evaluate_gate(GOOD, slices, GateConfig(min_slice_positives=30))
    assert not verdict.passed
    assert verdict.reasons == [
        "slice_roc_auc[gender=M]: ROC-AUC 0.4500 vs floor 0.5 (100 positives)"
    ]


def test_champion_comparison_uses_the_tolerance() -> None:
    config = GateConfig(champion_tolerance=0.01)
    assert evaluate_gate(
        GOOD, NO_SLICES, config, champion_roc_auc=0.705, champion_version="3"
    ).passed
    worse = evaluate_gate(GOOD, NO_SLICES, config, champion_roc_auc=0.72, champion_version="3")
    assert not worse.passed
    assert "champion v3" in worse.reasons[0]
