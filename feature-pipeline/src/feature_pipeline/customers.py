"""The per-customer snapshot, summarised and cut down to the online rows (pure transforms)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 - the conventional PySpark alias

# The online table's column types (docs/contracts/online-store.md), in its column order.
ONLINE_TYPES: dict[str, str] = {
    "id": "bigint",
    "nb_previous_loans": "int",
    "avg_amount_loans_previous": "double",
    "age": "int",
    "years_on_the_job": "int",
    "flag_own_car": "int",
    "as_of": "date",
    "last_loan_date": "date",
    "run_id": "string",
}


def online_rows(snapshot: DataFrame) -> DataFrame:
    """One row per customer with something to serve: at least one loan dated <= as_of."""
    return snapshot.filter(F.col("nb_previous_loans") > 0).select(
        *[F.col(name).cast(kind).alias(name) for name, kind in ONLINE_TYPES.items()]
    )


def customer_summary(snapshot: DataFrame) -> DataFrame:
    """One row of counts over the snapshot, for the expectations and the run report."""
    served = F.col("nb_previous_loans") > 0

    def count_if(condition: Column) -> Column:
        return F.sum(F.when(condition, 1).otherwise(0)).cast("long")

    return snapshot.agg(
        F.count(F.lit(1)).alias("total"),
        count_if(F.col("attributes_conflict")).alias("inconsistent_attributes"),
        count_if(served).alias("online_rows"),
        count_if(served & F.col("years_on_the_job").isNull()).alias("online_years_on_the_job_null"),
        count_if(served & F.col("age").isNull()).alias("online_age_null"),
    )


@dataclass(frozen=True)
class CustomerCounts:
    total: int
    inconsistent_attributes: int
    online_rows: int
    online_years_on_the_job_null: int
    online_age_null: int
