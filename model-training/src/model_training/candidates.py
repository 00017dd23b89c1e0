"""The fit stage: candidate model specs, fitting, and the choice on validation.

Every candidate is a scikit-learn Pipeline that sees exactly the five contract features (a
DataFrame, so `feature_names_in_` pins names and order) and carries its preprocessing (so ONNX
and serving need nothing else):

  impute: FeatureUnion(median imputation, MissingIndicator) - the indicators keep "no
          previous loan" / "not employed" visible after imputation
  scale:  StandardScaler (logistic regression only)
  model:  LogisticRegression | HistGradientBoostingClassifier | RandomForestClassifier
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from model_training.config import TrainingConfig
from model_training.contract import FEATURES, LABEL
from model_training.dataset import feature_matrix
from model_training.split import Split, subsample

log = logging.getLogger(__name__)

BASELINE = "logistic_regression"


class Float32MedianImputer(SimpleImputer):
    """Median imputation whose fill values are float32 numbers.

    ONNX serving computes in float32: a float64 median (say 128.89507542) becomes another
    number there, and a tree split between the two would route imputed rows differently from
    scikit-learn. Rounding the fitted medians to float32 makes both sides impute the same value.
    """

    def __init__(self) -> None:
        super().__init__(strategy="median")

    def fit(self, X: Any, y: Any = None) -> Float32MedianImputer:  # noqa: N803 - sklearn's name
        super().fit(X, y)
        medians = np.asarray(getattr(self, "statistics_"))  # noqa: B009 - set by super().fit
        self.statistics_ = medians.astype(np.float32).astype(np.float64)
        return self


def build_pipeline(candidate: str, params: dict[str, Any], seed: int, n_jobs: int = 1) -> Pipeline:
    """The model spec of one candidate with its hyperparameters."""
    impute = FeatureUnion(
        [
            ("median", Float32MedianImputer()),
            ("missing", MissingIndicator(features="missing-only", error_on_new=False)),
        ]
    )
    model: ClassifierMixin
    steps: list[tuple[str, Any]] = [("impute", impute)]
    if candidate == "logistic_regression":
        steps.append(("scale", StandardScaler()))
        model = LogisticRegression(max_iter=1000, random_state=seed, **params)
    elif candidate == "hist_gradient_boosting":
        model = HistGradientBoostingClassifier(random_state=seed, **params)
    elif candidate == "random_forest":
        model = RandomForestClassifier(random_state=seed, n_jobs=n_jobs, **params)
    else:
        raise ValueError(f"unknown candidate {candidate!r}")
    steps.append(("model", model))
    return Pipeline(steps)


def fit(pipeline: Pipeline, x: pd.DataFrame, y: np.ndarray) -> Pipeline:
    if list(x.columns) != list(FEATURES):
        raise ValueError(f"model inputs must be exactly {list(FEATURES)}, got {list(x.columns)}")
    return pipeline.fit(x, y)


def positive_scores(pipeline: Pipeline, x: pd.DataFrame) -> np.ndarray:
    scores: np.ndarray = pipeline.predict_proba(x)[:, 1]
    return scores


@dataclass
class FittedCandidate:
    name: str
    params: dict[str, Any]
    pipeline: Pipeline
    validation_scores: np.ndarray
    validation_roc_auc: float
    fit_seconds: float


@dataclass(frozen=True)
class FitPlan:
    rows: np.ndarray
    capped: bool
    reason: str


def plan_final_fit(
    train_rows: np.ndarray, seconds_per_row: float, config: TrainingConfig
) -> FitPlan:
    """All training rows, unless the search's timings say that would overrun the budget."""
    budget = config.training.time_budget_seconds
    estimate = seconds_per_row * len(train_rows)
    if estimate <= budget:
        return FitPlan(train_rows, False, f"all {len(train_rows)} rows (~{estimate:.0f} s)")
    keep = max(1000, int(budget / seconds_per_row))
    reason = (
        f"{keep} of {len(train_rows)} rows: fitting all would take ~{estimate:.0f} s, "
        f"over training.time_budget_seconds={budget:g}"
    )
    log.warning("final fits capped: %s", reason)
    return FitPlan(subsample(train_rows, keep, config.seed), True, reason)


def fit_candidates(
    frame: pd.DataFrame,
    split: Split,
    best_params: dict[str, dict[str, Any]],
    plan: FitPlan,
    config: TrainingConfig,
) -> dict[str, FittedCandidate]:
    """Refit each candidate's best configuration on the planned rows; score validation."""
    x_train = feature_matrix(frame.iloc[plan.rows])
    y_train = frame[LABEL].to_numpy()[plan.rows]
    x_val = feature_matrix(frame.iloc[split.validation])
    y_val = frame[LABEL].to_numpy()[split.validation]
    fitted: dict[str, FittedCandidate] = {}
    for name, params in best_params.items():
        started = time.perf_counter()
        pipeline = fit(
            build_pipeline(name, params, config.seed, config.training.n_jobs), x_train, y_train
        )
        scores = positive_scores(pipeline, x_val)
        fitted[name] = FittedCandidate(
            name=name,
            params=params,
            pipeline=pipeline,
            validation_scores=scores,
            validation_roc_auc=float(roc_auc_score(y_val, scores)),
            fit_seconds=time.perf_counter() - started,
        )
        log.info("candidate %s validation ROC-AUC %.4f", name, fitted[name].validation_roc_auc)
    return fitted


def choose(fitted: dict[str, FittedCandidate]) -> FittedCandidate:
    """Highest validation ROC-AUC; ties go to the simpler baseline, then by name."""
    return max(
        fitted.values(),
        key=lambda c: (round(c.validation_roc_auc, 12), c.name == BASELINE, c.name),
    )


class FeatureOrderError(ValueError):
    """The frame handed to the model does not carry exactly the contract features in order."""


def predict_proba(pipeline: Pipeline, x: pd.DataFrame) -> np.ndarray:
    """P(status = 1) for each row; `x` must be exactly the features, in order."""
    if list(x.columns) != list(FEATURES):
        raise FeatureOrderError(
            f"expected columns {list(FEATURES)} in order, got {list(x.columns)}"
        )
    fitted = list(getattr(pipeline, "feature_names_in_", FEATURES))
    if fitted != list(FEATURES):
        raise FeatureOrderError(f"model was fitted on {fitted}, not the contract features")
    return positive_scores(pipeline, x)
