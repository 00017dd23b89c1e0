"""Feature rules on small hand-made frames with hand-computed expectations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pyspark.sql import DataFrame, SparkSession

from feature_pipeline.features import customer_snapshot, training_features

LOAN_SCHEMA = (
    "id long, loan_id long, loan_date date, loan_amount double, status int, flag_own_car int, "
    "birthday date, job_start_date date"
)
SENTINEL = date(3021, 9, 18)


def _loans(spark: SparkSession, rows: list[tuple[object, ...]]) -> DataFrame:
    return spark.createDataFrame(rows, LOAN_SCHEMA)


@pytest.fixture(scope="module")
def loans(spark: SparkSession) -> DataFrame:
    d = date
    return _loans(
        spark,
        [
            # Customer 1, deliberately out of order; loans 10 and 12 share a date.
            (1, 12, d(2019, 1, 10), 350.0, 0, 1, d(1990, 1, 10), d(2015, 6, 1)),
            (1, 9, d(2019, 2, 1), 400.0, 1, 1, d(1990, 1, 10), d(2015, 6, 1)),
            (1, 10, d(2019, 1, 10), 100.0, 0, 1, d(1990, 1, 10), d(2015, 6, 1)),
            (1, 11, d(2019, 1, 5), 200.0, 0, 1, d(1990, 1, 10), d(2015, 6, 1)),
            # Customer 2: a single loan, no birthday, the employment sentinel.
            (2, 20, d(2019, 3, 3), 150.0, 0, 0, None, SENTINEL),
            # Customer 3: birthday exactly 30 * 365 days before the loan; job starts that day.
            (
                3,
                30,
                d(2020, 5, 5),
                120.0,
                0,
                0,
                d(2020, 5, 5) - timedelta(days=30 * 365),
                d(2020, 5, 5),
            ),
            # Customer 4: one day short of 30 * 365 days; job starts the day after the loan.
            (
                4,
                40,
                d(2020, 5, 5),
                120.0,
                0,
                1,
                d(2020, 5, 5) - timedelta(days=30 * 365 - 1),
                d(2020, 5, 6),
            ),
        ],
    )


def test_training_features_follow_the_contract(loans: DataFrame) -> None:
    rows = {row["loan_id"]: row.asDict() for row in training_features(loans).collect()}
    assert list(rows[11]) == [
        "id", "loan_id", "loan_date", "nb_previous_loans", "avg_amount_loans_previous",
        "age", "years_on_the_job", "flag_own_car", "status",
    ]  # fmt: skip
    got = {
        loan_id: (
            row["nb_previous_loans"],
            row["avg_amount_loans_previous"],
            row["age"],
            row["years_on_the_job"],
            row["flag_own_car"],
            row["status"],
        )
        for loan_id, row in rows.items()
    }
    # age: 1990-01-10 -> 2019-01-05 is 10587 days = 29.005 years; 2019-01-10: 10592 days.
    # years: 2015-06-01 -> 2019-01-05 is 1314 days = 3.6 years; -> 2019-02-01: 1341 days.
    assert got == {
        11: (0, None, 29, 3, 1, 0),
        10: (1, 200.0, 29, 3, 1, 0),  # same-day loan 12 is not previous for the average...
        12: (2, 200.0, 29, 3, 1, 0),  # ...but ties on loan_id for the count
        9: (3, pytest.approx((200.0 + 100.0 + 350.0) / 3, abs=1e-12), 29, 3, 1, 1),
        20: (0, None, None, None, 0, 0),  # single loan, missing birthday, sentinel
        30: (0, None, 30, 0, 0, 0),
        40: (0, None, 29, None, 1, 0),  # job start after the loan date -> null, not -1
    }


def test_snapshot_is_the_row_of_a_new_loan_dated_as_of(loans: DataFrame) -> None:
    as_of = date(2019, 1, 10)
    rows = {row["id"]: row.asDict() for row in customer_snapshot(loans, as_of, "run-1").collect()}
    assert rows[1] == {
        "id": 1,
        "nb_previous_loans": 3,  # both loans dated T count; loan 9 (after T) is ignored
        "avg_amount_loans_previous": 200.0,  # only the loan strictly before T
        "age": 29,
        "years_on_the_job": 3,
        "flag_own_car": 1,
        "as_of": as_of,
        "last_loan_date": as_of,
        "run_id": "run-1",
        "attributes_conflict": False,
    }
    # Customers whose loans all come after T have nothing to serve.
    assert rows[2]["nb_previous_loans"] == 0
    assert rows[2]["last_loan_date"] is None


def test_snapshot_after_all_loans_matches_a_hand_computation(loans: DataFrame) -> None:
    as_of = date(2021, 9, 17)
    rows = {row["id"]: row.asDict() for row in customer_snapshot(loans, as_of, "r").collect()}
    assert rows[1]["nb_previous_loans"] == 4
    assert rows[1]["avg_amount_loans_previous"] == pytest.approx(1050.0 / 4, abs=1e-12)
    assert rows[1]["last_loan_date"] == date(2019, 2, 1)
    # 1990-01-10 -> 2021-09-17: 11573 days = 31.7 years; 2015-06-01 -> 2021-09-17: 2300 days.
    assert (rows[1]["age"], rows[1]["years_on_the_job"]) == (31, 6)
    assert (rows[2]["age"], rows[2]["years_on_the_job"]) == (None, None)
    assert rows[4]["years_on_the_job"] == 1  # 2020-05-06 -> 2021-09-17 is 499 days


def test_snapshot_flags_customers_whose_attributes_change(spark: SparkSession) -> None:
    d = date
    loans = _loans(
        spark,
        [
            (1, 1, d(2019, 1, 1), 100.0, 0, 1, d(1990, 1, 1), None),
            (1, 2, d(2019, 1, 2), 100.0, 0, 0, d(1990, 1, 1), None),  # car flag changes
            (2, 3, d(2019, 1, 1), 100.0, 0, 0, d(1990, 1, 1), None),
            (2, 4, d(2019, 1, 2), 100.0, 0, 0, None, None),  # birthday disappears
            (3, 5, d(2019, 1, 1), 100.0, 0, 0, d(1990, 1, 1), d(2010, 1, 1)),
            (3, 6, d(2019, 1, 2), 100.0, 0, 0, d(1990, 1, 1), d(2010, 1, 1)),
        ],
    )
    flags = {
        row["id"]: row["attributes_conflict"]
        for row in customer_snapshot(loans, d(2019, 6, 1), "r").collect()
    }
    assert flags == {1: True, 2: True, 3: False}
