"""Spark output vs the independent pandas reference on a generated file: zero mismatches."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from pyspark.sql import DataFrame, SparkSession

from feature_pipeline.config import DateWindow
from feature_pipeline.features import customer_snapshot, training_features
from feature_pipeline.pipeline import run
from feature_pipeline.quality import accepted_loans, validate
from feature_pipeline.request import RunRequest
from feature_pipeline.schema import RAW_COLUMNS
from feature_pipeline.spark_io import read_raw_lines
from tests import reference_features

WINDOW = DateWindow(date(2018, 1, 1), date(2021, 12, 31))
INTEGER_FEATURES = ["nb_previous_loans", "age", "years_on_the_job", "flag_own_car"]


@pytest.fixture(scope="module")
def spark_loans(spark: SparkSession, generated_loans: Path) -> DataFrame:
    loans = accepted_loans(validate(read_raw_lines(spark, str(generated_loans)), WINDOW))
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


def _shift_dates(source: Path, target: Path, days: int) -> None:
    """The same file with every date moved by `days`: every feature keeps its value."""
    positions = [RAW_COLUMNS.index(name) for name in ("birthday", "job_start_date", "loan_date")]
    shift = timedelta(days=days)
    with source.open() as lines, target.open("w") as out:
        out.write(next(lines))
        for line in lines:
            fields = line.rstrip("\n").split(",")
            for position in positions:
                if fields[position]:
                    fields[position] = (date.fromisoformat(fields[position]) + shift).isoformat()
            out.write(",".join(fields) + "\n")


def test_a_new_market_file_runs_with_default_settings_and_exact_features(
    spark: SparkSession, generated_loans: Path, tmp_path: Path
) -> None:
    """Loans of 2025-2026 as of 2027-01-01: no calendar constant stands in the way."""
    source = tmp_path / "loans-2025.csv"
    _shift_dates(generated_loans, source, (date(2025, 1, 1) - date(2019, 1, 1)).days)
    as_of = date(2027, 1, 1)
    store = f"sqlite:///{tmp_path / 'online.db'}"
    request = RunRequest.from_uris(str(source), str(tmp_path / "out"), store, as_of)

    report = run(request, spark=spark)  # default QualitySettings

    assert report["quality"]["rows_quarantined"] == 0
    assert report["loan_date_window"] == {"earliest": "2024-01-01", "latest": "2028-01-02"}
    loans = reference_features.load_raw(source)
    assert (loans["loan_date"].min().year, loans["loan_date"].max().year) == (2025, 2026)
    run_folder = tmp_path / "out" / json.loads((tmp_path / "out" / "_LATEST").read_text())["prefix"]
    training = pd.read_parquet(run_folder / "training_set" / "parquet")
    _assert_same(training, reference_features.training_reference(loans), "loan_id")
    engine = sa.create_engine(store)
    with engine.connect() as connection:
        online = pd.read_sql(sa.text("SELECT * FROM customer_features"), connection)
    engine.dispose()
    reference = reference_features.online_reference(loans, as_of)
    _assert_same(online, reference, "id")
    assert (online["as_of"] == "2027-01-01").all()
