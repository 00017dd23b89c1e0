"""The search stage tunes each candidate by a seeded random search (ML Test Score M3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model_training.config import TrainingConfig, load_config
from model_training.search import plan_trials, search
from model_training.validation import validate

# A grid larger than the trials: the plan must sample it, and sample it the same way every run.
GRID = {"C": [0.0001, 0.001, 0.01, 0.1, 1.0, 10.0]}


def _config(trials: int, seed: int = 42) -> TrainingConfig:
    return load_config(
        None,
        {
            "seed": seed,
            "search": {"trials_per_candidate": trials, "max_rows": 5000},
            "candidates": {
                "logistic_regression": {"grid": GRID},
                "hist_gradient_boosting": {"enabled": False},
                "random_forest": {"enabled": False},
            },
        },
    )


def test_the_plan_samples_distinct_settings_from_the_grid_reproducibly() -> None:
    plan = plan_trials(_config(trials=3))
    settings = [params["C"] for _, params in plan]
    assert len(settings) == len(set(settings)) == 3
    assert set(settings) <= set(GRID["C"])
    assert plan == plan_trials(_config(trials=3))
    assert {params["C"] for _, params in plan_trials(_config(trials=6))} == set(GRID["C"])


def test_the_search_tries_every_planned_setting_and_keeps_the_best_one(
    dataset: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame = validate(dataset[0].assign(loan_date=pd.to_datetime(dataset[0]["loan_date"])), "t")
    config = _config(trials=4)
    result = search(frame, np.arange(len(frame)), config)
    tried = [trial.params for trial in result.trials]
    assert tried == [params for _, params in plan_trials(config)]
    aucs = {trial.params["C"]: trial.inner_roc_auc for trial in result.trials}
    assert len(set(aucs.values())) > 1, "the settings tried must differ in quality"
    assert result.best_params["logistic_regression"]["C"] == max(aucs, key=lambda c: aucs[c])
