"""Shared fixtures: a small dataset with a known signal, a fast config, an MLflow store."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import make_training_set, online_rows, write_csv

from model_training.config import Settings, TrainingConfig, load_config

# Small grids: the tests exercise the machinery; `make bench-train` measures the real search.
FAST_OVERRIDES: dict[str, Any] = {
    "search": {"trials_per_candidate": 2, "max_rows": 5000},
    "candidates": {
        "logistic_regression": {"grid": {"C": [0.1, 1.0]}},
        "hist_gradient_boosting": {
            "grid": {"max_iter": [30], "max_leaf_nodes": [4], "min_samples_leaf": [20]}
        },
        "random_forest": {"enabled": False},
    },
    "evaluation": {"permutation_repeats": 1, "parity_rows": 500, "bootstrap_replicates": 100},
    # The synthetic customers are few: the fairness ratios of 400 customers are noise.
    "gate": {"min_auc_ratio": 0.5, "min_approval_ratio": 0.5},
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
def online_parquet(
    dataset: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The serving population of the dataset (one online row per customer)."""
    path = tmp_path_factory.mktemp("online") / "online.parquet"
    online_rows(dataset[0]).to_parquet(path, index=False)
    return path


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
