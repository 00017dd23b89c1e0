"""Feature rules (docs/contracts/features.md) as pure DataFrame -> DataFrame transforms.

No Spark actions.

Input to both functions: accepted loans with columns id, loan_id, loan_date, loan_amount, status,
flag_own_car (0/1), birthday, job_start_date (see quality.accepted_loans).
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 - the conventional PySpark alias

from feature_pipeline.schema import DAYS_PER_YEAR, TRAINING_COLUMNS


def whole_years(start: Column, end: Column) -> Column:
    """floor(days(end - start) / 365); null when start is null."""
    return F.floor(F.datediff(end, start) / F.lit(DAYS_PER_YEAR)).cast("int")


def years_on_the_job(job_start: Column, as_of: Column) -> Column:
    # A job start after as_of is the 365243-day sentinel (or a data error): unknown, not negative.
    return F.when(job_start <= as_of, whole_years(job_start, as_of))


def training_features(loans: DataFrame) -> DataFrame:
    """One row per loan, features as of the loan's own date (point-in-time correct)."""
    # Day number (not the date) keys both windows: the range frame needs a numeric order, and one
    # shared sort prefix lets Spark evaluate both windows after a single sort.
    day = F.unix_date(F.col("loan_date"))
    by_customer = Window.partitionBy("id")
    in_order = by_customer.orderBy("_day", "loan_id")
    strictly_earlier_days = by_customer.orderBy("_day").rangeBetween(Window.unboundedPreceding, -1)
    return (
        loans.withColumn("_day", day)
        .withColumn("nb_previous_loans", (F.row_number().over(in_order) - 1).cast("int"))
        .withColumn("avg_amount_loans_previous", F.avg("loan_amount").over(strictly_earlier_days))
        .withColumn("age", whole_years(F.col("birthday"), F.col("loan_date")))
        .withColumn(
            "years_on_the_job", years_on_the_job(F.col("job_start_date"), F.col("loan_date"))
        )
        .select(*TRAINING_COLUMNS)
    )


def customer_snapshot(loans: DataFrame, as_of: date, run_id: str) -> DataFrame:
    """One row per customer: the online columns as of T, plus an attribute-consistency flag.

    Customers whose loans all postdate as_of get nb_previous_loans = 0 and no last_loan_date;
    they have nothing to serve yet and are left out of the online table by the caller.

    A new loan dated T sorts after every existing loan dated T, so it counts loans dated <= T as
    previous, averages the amounts of loans dated < T, and ignores loans after T. Consistency of
    the customer attributes is checked over all of the customer's loans.
    """
    as_of_date = F.lit(as_of)
    up_to = F.col("loan_date") <= as_of_date
    before = F.col("loan_date") < as_of_date

    def conflicting(column: str) -> Column:
        # Differing values, or a value on some loans and a null on others.
        return (F.min(column) != F.max(column)) | (
            (F.count(column) > 0) & (F.count(column) < F.count(F.lit(1)))
        )

    snapshot = loans.groupBy("id").agg(
        F.count(F.when(up_to, 1)).cast("int").alias("nb_previous_loans"),
        F.avg(F.when(before, F.col("loan_amount"))).alias("avg_amount_loans_previous"),
        F.max(F.when(up_to, F.col("loan_date"))).alias("last_loan_date"),
        # Attributes are constant per customer (a conflict fails the run), so max is the value;
        # max keeps this a hash aggregation, where max_by over a struct would force a sort.
        F.max("birthday").alias("birthday"),
        F.max("job_start_date").alias("job_start_date"),
        F.max("flag_own_car").alias("flag_own_car"),
        (
            conflicting("birthday") | conflicting("job_start_date") | conflicting("flag_own_car")
        ).alias("attributes_conflict"),
    )
    return snapshot.select(
        "id",
        "nb_previous_loans",
        "avg_amount_loans_previous",
        whole_years(F.col("birthday"), as_of_date).alias("age"),
        years_on_the_job(F.col("job_start_date"), as_of_date).alias("years_on_the_job"),
        F.col("flag_own_car").cast("int").alias("flag_own_car"),
        as_of_date.alias("as_of"),
        "last_loan_date",
        F.lit(run_id).alias("run_id"),
        F.coalesce(F.col("attributes_conflict"), F.lit(False)).alias("attributes_conflict"),
    )
