"""Shared fixtures: a small dataset with a known signal, a fast config, an MLflow store."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import make_training_set, write_csv

from model_training.config import Settings, TrainingConfig, load_config

# Small grids: the tests exercise the machinery; `make bench-train` measures the real search.
FAST_OVERRIDES: dict[str, Any] = {
    "search": {"trials_per_candidate": 2, "max_rows": 5000},
    "candidates": {
        "logistic_regression": {"grid": {"C": [0.1, 1.0]}},
        "random_forest": {
            "grid": {"n_estimators": [30], "min_samples_leaf": [20], "max_depth": [6]}
        },
        "gradient_boosting": {"grid": {"n_estimators": [30], "max_depth": [2]}},
    },
    "evaluation": {"permutation_repeats": 1, "parity_rows": 500},
}


@pytest.fixture(autouse=True)
def _local_mlflow_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing a test runs may write into the repository's var/ (the CLI's default home)."""
    monkeypatch.setenv("MODEL_TRAINING_HOME", str(tmp_path_factory.getbasetemp() / "mlflow-home"))


@pytest.fixture(scope="session")
def dataset() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training set, raw customer attributes): ~5k loans of 400 customers, ~12% positives."""
    return make_training_set(n_customers=400, seed=7)


@pytest.fixture(scope="session")
def training_csv(
    dataset: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return write_csv(dataset[0], tmp_path_factory.mktemp("data") / "training.csv")


@pytest.fixture(scope="session")
def raw_csv(
    dataset: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return write_csv(dataset[1], tmp_path_factory.mktemp("raw") / "loans.csv")


@pytest.fixture(scope="session")
def fast_config() -> TrainingConfig:
    return load_config(None, FAST_OVERRIDES)


@pytest.fixture(scope="session")
def mlflow_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One SQLite tracking store per session (creating one costs seconds of migrations)."""
    return Settings(home=tmp_path_factory.mktemp("mlflow"))


_model_names = itertools.count()


@pytest.fixture
def model_config(fast_config: TrainingConfig) -> TrainingConfig:
    """The fast config with a registered model name of its own (registry isolation per test)."""
    n = next(_model_names)
    return fast_config.model_copy(
        update={"registered_model_name": f"credit-risk-test-{n}", "experiment_name": f"exp-{n}"}
    )
