"""Data tests: expectations on a training set, beyond the loader's contract checks.

They run on the test data set by default; point MODEL_TRAINING_DATA at a real training set (any
`--data` form) to run them against it, e.g. before a retrain:
    MODEL_TRAINING_DATA=var/pipeline-output pytest model-training/tests/data
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from model_training.dataset import load_training_rows


@pytest.fixture(scope="module")
def training(training_csv: Path) -> pd.DataFrame:
    return load_training_rows(os.environ.get("MODEL_TRAINING_DATA", str(training_csv)))[0]


def test_first_loans_have_no_previous_average(training: pd.DataFrame) -> None:
    first = training["nb_previous_loans"] == 0
    assert training.loc[first, "avg_amount_loans_previous"].isna().all()


def test_nb_previous_loans_counts_up_within_each_customer(training: pd.DataFrame) -> None:
    ordered = training.sort_values(["id", "loan_date", "loan_id"])
    expected = ordered.groupby("id").cumcount()
    assert (ordered["nb_previous_loans"].to_numpy() == expected.to_numpy()).all()


def test_customer_attributes_are_constant_within_a_customer(training: pd.DataFrame) -> None:
    # flag_own_car is a customer attribute; age can only grow with loan_date.
    assert (training.groupby("id")["flag_own_car"].nunique() == 1).all()
    ordered = training.sort_values(["id", "loan_date"])
    assert (ordered.groupby("id")["age"].diff().dropna() >= 0).all()


def test_domains_and_rates_are_plausible(training: pd.DataFrame) -> None:
    assert training["age"].dropna().between(18, 100).all()
    assert (training["years_on_the_job"].dropna() <= training["age"].max()).all()
    assert 0.001 < training["status"].mean() < 0.5
    assert training["years_on_the_job"].isna().mean() < 0.6
    # every loan_amount is >= 100 (docs/contracts/raw-loans.md), so is every average of them
    assert (training["avg_amount_loans_previous"].dropna() >= 100).all()
