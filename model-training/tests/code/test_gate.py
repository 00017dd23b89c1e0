"""Quality gate decisions."""

from __future__ import annotations

import math

import pandas as pd

from model_training.bootstrap import PairedComparison
from model_training.config import GateConfig
from model_training.gate import ChampionResult, GateInputs, evaluate_gate

GOOD = {"roc_auc": 0.70, "pr_auc_lift": 2.0, "ece": 0.002, "positive_rate": 0.015}
USEFUL = {"age": (0.02, 0.65), "flag_own_car": (0.0, 0.55)}
FAIR = pd.DataFrame(
    {
        "dimension": ["gender", "gender", "income_type", "income_type"],
        "group": ["F", "M", "Working", "Pensioner"],
        "positives": [100, 100, 80, 60],
        "roc_auc": [0.70, 0.68, 0.71, 0.66],
        "flagged_rate": [0.05, 0.06, 0.05, 0.04],
    }
)


def gate(metrics=GOOD, slices=FAIR, usefulness=USEFUL, champion=None, **config):  # type: ignore[no-untyped-def]
    return evaluate_gate(GateInputs(metrics, slices, usefulness, champion), GateConfig(**config))


def test_good_model_without_champion_passes() -> None:
    verdict = gate()
    assert verdict.passed, verdict.reasons
    assert verdict.reasons == []


def test_each_absolute_threshold_can_veto_on_its_own() -> None:
    for key, bad in (("roc_auc", 0.52), ("pr_auc_lift", 1.0), ("ece", 0.009)):
        verdict = gate({**GOOD, key: bad})
        assert not verdict.passed
        assert len(verdict.reasons) == 1, verdict.reasons


def test_calibration_bound_scales_with_the_base_rate() -> None:
    # ECE 0.006 is fine for a 2% event (bound 0.01) and not for a 1% event (bound 0.005).
    assert gate({**GOOD, "ece": 0.006, "positive_rate": 0.02}).passed
    assert not gate({**GOOD, "ece": 0.006, "positive_rate": 0.01}).passed


def test_nan_lift_fails_rather_than_passes() -> None:
    assert not gate({**GOOD, "pr_auc_lift": math.nan}).passed


def test_slice_floor_applies_only_to_slices_with_enough_positives() -> None:
    slices = pd.concat(
        [
            FAIR,
            pd.DataFrame(
                {"dimension": ["age_band", "age_band"], "group": ["<25", "25-34"],
                 "positives": [5, 40], "roc_auc": [0.30, 0.45], "flagged_rate": [0.1, 0.1]}
            ),
        ]
    )  # fmt: skip
    verdict = gate(slices=slices, min_slice_positives=30)
    assert verdict.reasons == [
        "slice_roc_auc[age_band=25-34]: ROC-AUC 0.4500 vs floor 0.5 (40 positives)"
    ]


def test_a_useless_feature_is_vetoed() -> None:
    verdict = gate(usefulness={**USEFUL, "noise": (0.0001, 0.502)})
    assert [r.split(":")[0] for r in verdict.reasons] == ["feature_useful[noise]"]


def test_fairness_bounds_auc_and_approval_ratios_and_needs_the_slices() -> None:
    unfair_auc = FAIR.assign(roc_auc=[0.70, 0.52, 0.71, 0.66])  # 0.52 / 0.70 = 0.74 < 0.8
    assert [r.split(":")[0] for r in gate(slices=unfair_auc).reasons] == ["fairness[gender]"]
    # Pensioners flagged 30%: approval 0.70 / 0.95 = 0.737 < 0.8.
    unfair_approval = FAIR.assign(flagged_rate=[0.05, 0.06, 0.05, 0.30])
    assert [r.split(":")[0] for r in gate(slices=unfair_approval).reasons] == [
        "fairness[income_type]"
    ]
    no_raw = FAIR[FAIR["dimension"] == "gender"]
    assert "pass --raw" in gate(slices=no_raw).reasons[0]


def _comparison(upper: float) -> PairedComparison:
    return PairedComparison(upper - 0.01, upper - 0.02, upper + 0.005, upper, 0.95, 500)


def test_champion_comparison_vetoes_only_a_significant_loss_and_refusals() -> None:
    assert gate(champion=ChampionResult("3", _comparison(0.004))).passed
    worse = gate(champion=ChampionResult("3", _comparison(-0.001)))
    assert not worse.passed
    assert "champion v3" in worse.reasons[0]
    refused = gate(champion=ChampionResult("3", refused="not comparable: split differs"))
    assert not refused.passed
    assert "split differs" in refused.reasons[0]
