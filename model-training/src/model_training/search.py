"""The search stage: a bounded random search per candidate on a customer-grouped hold-out
inside the training rows, so validation is left for the choice between tuned candidates."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import ParameterGrid, ParameterSampler

from model_training.candidates import build_pipeline, fit, positive_scores
from model_training.config import TrainingConfig
from model_training.contract import LABEL
from model_training.dataset import feature_matrix
from model_training.progress import progress
from model_training.split import inner_split, subsample

log = logging.getLogger(__name__)


@dataclass
class Trial:
    candidate: str
    params: dict[str, Any]
    inner_roc_auc: float
    seconds: float
    rows: int


@dataclass
class SearchResult:
    best_params: dict[str, dict[str, Any]]
    trials: list[Trial] = field(default_factory=list)
    truncated: bool = False
    seconds: float = 0.0
    rows: int = 0

    def seconds_per_row(self, candidate: str) -> float:
        """Slowest trial of `candidate` per training row: the final fit's time estimate."""
        own = [t.seconds / t.rows for t in self.trials if t.candidate == candidate and t.rows]
        return max(own, default=0.0)


def parameter_sets(grid: dict[str, list[Any]], n: int, seed: int) -> list[dict[str, Any]]:
    full = ParameterGrid(grid)
    if len(full) <= n:
        return [dict(p) for p in full]
    return [dict(p) for p in ParameterSampler(grid, n_iter=n, random_state=seed)]


def plan_trials(config: TrainingConfig) -> list[tuple[str, dict[str, Any]]]:
    """Every (candidate, params) trial, fixed up front and seeded (reproducible)."""
    return [
        (name, params)
        for name, candidate in config.enabled_candidates().items()
        for params in parameter_sets(
            candidate.grid, config.search.trials_per_candidate, config.seed
        )
    ]


def search(frame: pd.DataFrame, train_rows: np.ndarray, config: TrainingConfig) -> SearchResult:
    """Run the planned trials; the time budget only truncates the list (the run says so)."""
    started = time.perf_counter()
    sample = frame.iloc[subsample(train_rows, config.search.max_rows, config.seed)]
    sample = sample.reset_index(drop=True)
    # Any salt but the outer one: the same salt would put only the customers hashed just above
    # the outer cut into the inner hold-out.
    fit_rows, holdout = inner_split(
        sample, config.search.inner_validation_fraction, config.split.salt + 1
    )
    x, y = feature_matrix(sample), sample[LABEL].to_numpy()
    result = SearchResult(best_params={}, rows=len(sample))
    best_auc: dict[str, float] = {}
    plan = plan_trials(config)
    with progress("search", len(plan)) as advance:
        for name, params in plan:
            advance()
            if time.perf_counter() - started > config.search.time_budget_seconds and (
                name in result.best_params
            ):
                result.truncated = True
                log.warning("search budget exhausted; skipping %s %s", name, params)
                continue
            trial = _run_trial(name, params, x, y, fit_rows, holdout, config)
            result.trials.append(trial)
            if trial.inner_roc_auc > best_auc.get(name, -np.inf):
                best_auc[name] = trial.inner_roc_auc
                result.best_params[name] = params
    result.seconds = time.perf_counter() - started
    return result


def _run_trial(
    name: str,
    params: dict[str, Any],
    x: pd.DataFrame,
    y: np.ndarray,
    fit_rows: np.ndarray,
    holdout: np.ndarray,
    config: TrainingConfig,
) -> Trial:
    started = time.perf_counter()
    pipeline = build_pipeline(name, params, config.seed, config.training.n_jobs)
    fit(pipeline, x.iloc[fit_rows], y[fit_rows])
    seconds = time.perf_counter() - started
    auc = float(roc_auc_score(y[holdout], positive_scores(pipeline, x.iloc[holdout])))
    log.info("trial %s %s inner ROC-AUC %.4f", name, params, auc)
    return Trial(name, params, auc, seconds, len(fit_rows))
