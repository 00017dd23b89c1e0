"""Model-spec unit tests: fit, output range, feature contract, reproducibility, veto."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_training.candidates import FeatureOrderError, build_pipeline, fit, predict_proba
from model_training.config import CANDIDATE_NAMES, TrainingConfig
from model_training.contract import FEATURES, FORBIDDEN_INPUTS
from model_training.dataset import feature_matrix
from model_training.evaluation import evaluate_on_test
from model_training.gate import GateInputs, evaluate_gate
from model_training.split import make_split
from model_training.validation import validate
from model_training.workflow import train_candidates


class Evaluated:
    """The search, fit and evaluate stages run on a frame, as `train` runs them."""

    def __init__(self, frame: pd.DataFrame, config: TrainingConfig, raw: object) -> None:
        self.split = make_split(frame, config.split)
        trained = train_candidates(frame, self.split, config)
        self.candidates, self.chosen = trained.fitted, trained.chosen
        self.baseline = trained.fitted["logistic_regression"]
        self.test = evaluate_on_test(frame, self.split, trained.chosen, trained.fitted, config, raw)  # type: ignore[arg-type]
        self.metrics, self.slices = self.test.metrics, self.test.slices


def evaluate_candidates(frame: pd.DataFrame, config: TrainingConfig, raw: object) -> Evaluated:
    return Evaluated(frame.assign(loan_date=pd.to_datetime(frame["loan_date"])), config, raw)


CONTRACT_ORDER = [
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
]


@pytest.fixture(scope="module")
def frame(dataset: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return validate(dataset[0], "test")


@pytest.fixture(scope="module")
def evaluation(frame: pd.DataFrame, fast_config: TrainingConfig) -> object:
    return evaluate_candidates(frame, fast_config, None)


def test_contract_feature_order_is_the_documented_one() -> None:
    # Written out independently of the package constant on purpose.
    assert list(FEATURES) == CONTRACT_ORDER
    assert not FORBIDDEN_INPUTS.intersection(FEATURES)


@pytest.mark.parametrize("candidate", CANDIDATE_NAMES)
def test_tiny_dataset_fits_and_probabilities_are_in_unit_interval(
    frame: pd.DataFrame, candidate: str
) -> None:
    tiny = frame.head(60)
    assert tiny["status"].nunique() == 2
    params = {
        "logistic_regression": {},
        "random_forest": {"n_estimators": 5},
        "hist_gradient_boosting": {"max_iter": 5},
    }[candidate]
    model = fit(
        build_pipeline(candidate, params, seed=0), feature_matrix(tiny), tiny["status"].to_numpy()
    )
    nasty = pd.DataFrame(
        [[0, np.nan, np.nan, np.nan, 0], [60, 819.9, 130, 60, 1], [3, 100.0, 18, 0, 0]],
        columns=CONTRACT_ORDER,
        dtype="float64",
    )
    p = predict_proba(model, pd.concat([feature_matrix(frame), nasty], ignore_index=True))
    assert np.all(np.isfinite(p))
    assert np.all((p >= 0) & (p <= 1))


def test_feature_order_is_enforced(frame: pd.DataFrame) -> None:
    x = feature_matrix(frame)
    y = frame["status"].to_numpy()
    model = fit(build_pipeline("logistic_regression", {}, seed=0), x, y)
    with pytest.raises(FeatureOrderError):
        predict_proba(model, x[list(reversed(CONTRACT_ORDER))])
    with pytest.raises(ValueError, match="exactly"):
        fit(build_pipeline("logistic_regression", {}, seed=0), x[list(reversed(CONTRACT_ORDER))], y)


def test_protected_attributes_and_identifiers_never_reach_the_model(
    frame: pd.DataFrame, fast_config: TrainingConfig, evaluation: object
) -> None:
    # Even when the training frame carries identifiers and protected attributes, the fitted
    # models see exactly the five contract features.
    polluted = frame.assign(code_gender=np.where(frame["id"] % 2 == 0, 1.0, 0.0))
    x = feature_matrix(polluted)
    assert list(x.columns) == CONTRACT_ORDER
    for candidate in evaluation.candidates.values():  # type: ignore[attr-defined]
        assert list(candidate.pipeline.feature_names_in_) == CONTRACT_ORDER
        assert candidate.pipeline.n_features_in_ == 5
    with pytest.raises(ValueError, match="exactly"):
        fit(
            build_pipeline("logistic_regression", {}, seed=0),
            polluted[[*CONTRACT_ORDER, "code_gender"]],
            polluted["status"].to_numpy(),
        )


def test_model_learns_the_known_signal_and_reports_the_baseline(evaluation: object) -> None:
    ev = evaluation
    # The synthetic risk depends on age, employment, tenure and car (tests/synthetic.py).
    assert ev.metrics["roc_auc"] > 0.65  # type: ignore[attr-defined]
    assert ev.baseline.name == "logistic_regression"  # type: ignore[attr-defined]
    aucs = [c.validation_roc_auc for c in ev.candidates.values()]  # type: ignore[attr-defined]
    assert ev.chosen.validation_roc_auc == max(aucs)  # type: ignore[attr-defined]


def test_training_is_reproducible(
    frame: pd.DataFrame, fast_config: TrainingConfig, evaluation: object
) -> None:
    # Input row order must not matter either: validate() sorts by loan_id.
    again = evaluate_candidates(
        validate(frame.sample(frac=1.0, random_state=1), "t"), fast_config, None
    )
    first = evaluation
    assert again.metrics == first.metrics  # type: ignore[attr-defined]
    assert again.chosen.params == first.chosen.params  # type: ignore[attr-defined]
    np.testing.assert_array_equal(
        again.chosen.validation_scores,
        first.chosen.validation_scores,  # type: ignore[attr-defined]
    )


def test_gate_vetoes_a_model_trained_on_shuffled_labels(
    frame: pd.DataFrame, fast_config: TrainingConfig
) -> None:
    rng = np.random.default_rng(0)
    shuffled = frame.assign(status=rng.permutation(frame["status"].to_numpy()))
    ev = evaluate_candidates(shuffled, fast_config, None)
    verdict = evaluate_gate(
        GateInputs(ev.metrics, ev.slices, ev.test.feature_usefulness()), fast_config.gate
    )
    assert not verdict.passed
    assert any(r.startswith("min_roc_auc") for r in verdict.reasons)


def test_raw_attributes_change_the_slices_but_never_the_model(
    frame: pd.DataFrame, fast_config: TrainingConfig, evaluation: object, raw_csv: object
) -> None:
    from model_training.slices import load_raw_attributes

    with_raw = evaluate_candidates(frame, fast_config, load_raw_attributes(str(raw_csv)))
    np.testing.assert_array_equal(
        with_raw.test.scores,
        evaluation.test.scores,  # type: ignore[attr-defined]
    )
    assert {"gender", "income_type"} <= set(with_raw.slices["dimension"])
    assert "gender" not in set(evaluation.slices["dimension"])  # type: ignore[attr-defined]


def test_time_split_runs_end_to_end(frame: pd.DataFrame, fast_config: TrainingConfig) -> None:
    config = fast_config.model_copy(
        update={"split": fast_config.split.model_copy(update={"strategy": "time"})}
    )
    ev = evaluate_candidates(frame, config, None)
    assert 0.0 <= ev.metrics["roc_auc"] <= 1.0
    # Validation = the latest 15% of the loans left once the test rows are set aside.
    left = len(frame) - len(ev.split.test)
    assert len(ev.split.validation) == pytest.approx(0.15 * left, rel=0.1)
