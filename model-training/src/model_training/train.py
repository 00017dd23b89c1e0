"""Candidate model specs, the bounded hyperparameter search and the final fits.

Every candidate is a scikit-learn Pipeline whose first step sees exactly the five contract
features (a DataFrame, so `feature_names_in_` pins names and order) and whose preprocessing is
part of the model (so ONNX export and serving need nothing else):

  impute: FeatureUnion(median SimpleImputer, MissingIndicator)  - NaN in, no NaN out; the
          indicators keep "no previous loan" / "not employed" visible after imputation.
          (SimpleImputer(add_indicator=True) is NOT used: skl2onnx 1.20 silently drops the
          indicator columns, giving a graph that disagrees with scikit-learn.)
  scale:  StandardScaler (logistic regression only)
  model:  LogisticRegression | RandomForestClassifier | GradientBoostingClassifier

HistGradientBoosting is not a candidate: skl2onnx cannot convert it with this scikit-learn.
Class weighting, if configured (`class_weight` in a grid), is an estimator parameter and therefore
computed from the rows passed to `fit` only, i.e. inside the training fold.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler

from model_training.config import CandidateConfig, TrainingConfig
from model_training.contract import CUSTOMER_ID, FEATURES, LABEL
from model_training.data import Split, feature_matrix, split_by_customer, subsample

log = logging.getLogger(__name__)

BASELINE = "logistic_regression"


def build_pipeline(candidate: str, params: dict[str, Any], seed: int, n_jobs: int = 1) -> Pipeline:
    """The model spec of one candidate with its hyperparameters."""
    impute = FeatureUnion(
        [
            ("median", SimpleImputer(strategy="median")),
            ("missing", MissingIndicator(features="missing-only", error_on_new=False)),
        ]
    )
    model: ClassifierMixin
    steps: list[tuple[str, Any]] = [("impute", impute)]
    if candidate == "logistic_regression":
        steps.append(("scale", StandardScaler()))
        model = LogisticRegression(max_iter=1000, random_state=seed, **params)
    elif candidate == "random_forest":
        model = RandomForestClassifier(random_state=seed, n_jobs=n_jobs, **params)
    elif candidate == "gradient_boosting":
        model = GradientBoostingClassifier(random_state=seed, **params)
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
class Trial:
    candidate: str
    params: dict[str, Any]
    inner_roc_auc: float
    seconds: float


@dataclass
class SearchResult:
    best_params: dict[str, dict[str, Any]]
    trials: list[Trial] = field(default_factory=list)
    truncated: bool = False
    seconds: float = 0.0
    rows: int = 0


def _parameter_sets(grid: dict[str, list[Any]], n: int, seed: int) -> list[dict[str, Any]]:
    full = ParameterGrid(grid)
    if len(full) <= n:
        return [dict(p) for p in full]
    return [dict(p) for p in ParameterSampler(grid, n_iter=n, random_state=seed)]


def search(frame: pd.DataFrame, train_rows: np.ndarray, config: TrainingConfig) -> SearchResult:
    """Bounded random search per candidate on a customer-grouped hold-out inside `train_rows`.

    Trials are fixed up front (seeded), so the result is reproducible; the time budget only
    truncates the list (and the run is then tagged as truncated).
    """
    started = time.perf_counter()
    rows = subsample(train_rows, config.search.max_rows, config.seed)
    inner = split_by_customer(
        frame.iloc[rows].reset_index(drop=True),
        config.search.inner_validation_fraction,
        # Any salt but the outer one: the same salt would put only the customers hashed just
        # above the outer cut into the inner validation set.
        config.split.salt + 1,
    )
    sample = frame.iloc[rows].reset_index(drop=True)
    x = feature_matrix(sample)
    y = sample[LABEL].to_numpy()
    x_fit, y_fit = x.iloc[inner.train], y[inner.train]
    x_val, y_val = x.iloc[inner.validation], y[inner.validation]

    result = SearchResult(best_params={}, rows=len(rows))
    best_auc: dict[str, float] = {}
    candidates: dict[str, CandidateConfig] = config.enabled_candidates()
    plan = [
        (name, params)
        for name, candidate in candidates.items()
        for params in _parameter_sets(
            candidate.grid, config.search.trials_per_candidate, config.seed
        )
    ]
    for name, params in plan:
        elapsed = time.perf_counter() - started
        if elapsed > config.search.time_budget_seconds and name in result.best_params:
            result.truncated = True
            log.warning("search budget exhausted; skipping %s %s", name, params)
            continue
        t0 = time.perf_counter()
        pipeline = fit(
            build_pipeline(name, params, config.seed, config.training.n_jobs), x_fit, y_fit
        )
        auc = float(roc_auc_score(y_val, positive_scores(pipeline, x_val)))
        result.trials.append(Trial(name, params, auc, time.perf_counter() - t0))
        log.info("trial %s %s inner ROC-AUC %.4f", name, params, auc)
        if auc > best_auc.get(name, -np.inf):
            best_auc[name] = auc
            result.best_params[name] = params
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class FittedCandidate:
    name: str
    params: dict[str, Any]
    pipeline: Pipeline
    validation_scores: np.ndarray
    validation_roc_auc: float
    fit_seconds: float


def fit_candidates(
    frame: pd.DataFrame,
    split: Split,
    best_params: dict[str, dict[str, Any]],
    config: TrainingConfig,
) -> tuple[dict[str, FittedCandidate], np.ndarray]:
    """Refit each candidate's best configuration on the training split; score validation."""
    rows = subsample(split.train, config.training.max_rows, config.seed)
    x_train = feature_matrix(frame.iloc[rows])
    y_train = frame[LABEL].to_numpy()[rows]
    x_val = feature_matrix(frame.iloc[split.validation])
    y_val = frame[LABEL].to_numpy()[split.validation]
    fitted: dict[str, FittedCandidate] = {}
    for name, params in best_params.items():
        t0 = time.perf_counter()
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
            fit_seconds=time.perf_counter() - t0,
        )
        log.info("candidate %s validation ROC-AUC %.4f", name, fitted[name].validation_roc_auc)
    return fitted, rows


def choose(fitted: dict[str, FittedCandidate]) -> FittedCandidate:
    """Highest validation ROC-AUC; ties go to the simpler baseline, then by name."""
    return max(
        fitted.values(),
        key=lambda c: (round(c.validation_roc_auc, 12), c.name == BASELINE, c.name),
    )


def customers_in(frame: pd.DataFrame, rows: np.ndarray) -> set[int]:
    return set(frame[CUSTOMER_ID].to_numpy()[rows].tolist())
