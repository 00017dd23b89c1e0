"""Spark output vs the independent pandas reference on a generated file: zero mismatches."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from feature_pipeline.features import customer_snapshot, training_features
from feature_pipeline.quality import accepted_loans, validate
from feature_pipeline.spark_io import read_raw_lines
from tests import reference_features

WINDOW = (date(2018, 1, 1), date(2021, 12, 31))
INTEGER_FEATURES = ["nb_previous_loans", "age", "years_on_the_job", "flag_own_car"]


@pytest.fixture(scope="module")
def spark_loans(spark: SparkSession, generated_loans: Path) -> DataFrame:
    loans = accepted_loans(validate(read_raw_lines(spark, str(generated_loans)), *WINDOW))
    return loans.cache()


@pytest.fixture(scope="module")
def reference_loans(generated_loans: Path) -> pd.DataFrame:
    return reference_features.load_raw(generated_loans)


def _assert_same(spark_frame: pd.DataFrame, reference: pd.DataFrame, key: str) -> None:
    assert len(spark_frame) == len(reference)
    merged = spark_frame.merge(reference, on=key, suffixes=("_spark", "_ref"), validate="1:1")
    assert len(merged) == len(reference)
    for column in INTEGER_FEATURES:
        got = merged[f"{column}_spark"].astype("float64").to_numpy()
        want = merged[f"{column}_ref"].astype("float64").to_numpy()
        mismatched = ~((got == want) | (np.isnan(got) & np.isnan(want)))
        assert mismatched.sum() == 0, f"{column}: {mismatched.sum()} mismatches"
    got = merged["avg_amount_loans_previous_spark"].astype("float64").to_numpy()
    want = merged["avg_amount_loans_previous_ref"].astype("float64").to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(want))
    both = ~np.isnan(want)
    assert np.max(np.abs(got[both] - want[both]), initial=0.0) <= 1e-9


def test_training_features_match_the_reference(
    spark_loans: DataFrame, reference_loans: pd.DataFrame
) -> None:
    spark_frame = training_features(spark_loans).toPandas()
    reference = reference_features.training_reference(reference_loans)
    _assert_same(spark_frame, reference, "loan_id")
    # Sanity: the file really exercises the tricky cases.
    assert reference["years_on_the_job"].isna().sum() > 0
    same_day = reference.duplicated(["id", "loan_date"], keep=False).sum()
    assert same_day > 0
    assert (reference.groupby("id").size() == 1).any()


@pytest.mark.parametrize("as_of", [date(2020, 6, 15), date(2021, 9, 17)])
def test_online_features_match_the_reference(
    spark_loans: DataFrame, reference_loans: pd.DataFrame, as_of: date
) -> None:
    snapshot = customer_snapshot(spark_loans, as_of, "ref").toPandas()
    served = snapshot[snapshot["nb_previous_loans"] > 0]
    reference = reference_features.online_reference(reference_loans, as_of)
    _assert_same(served, reference, "id")
    last = served.merge(reference, on="id")
    assert (last["last_loan_date_x"] == last["last_loan_date_y"]).all()
    assert not snapshot["attributes_conflict"].any()
