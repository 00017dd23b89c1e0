"""An independent plain-pandas implementation of docs/contracts/features.md.

Written from the text of the contract.

It shares no code with the Spark job: it parses the raw CSV itself and uses only pandas/numpy.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd


def load_raw(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    loans = pd.DataFrame(
        {
            "id": raw["id"].astype("int64"),
            "loan_id": raw["loan_id"].astype("int64"),
            "loan_date": pd.to_datetime(raw["loan_date"], format="%Y-%m-%d"),
            "loan_amount": raw["loan_amount"].astype("float64"),
            "status": raw["status"].astype("int64"),
            "flag_own_car": raw["flag_own_car"].map({"Y": 1, "N": 0}),
            # The sentinel 3021-09-18 is beyond pandas' nanosecond range: keep Python dates.
            "birthday": raw["birthday"].map(_to_date),
            "job_start_date": raw["job_start_date"].map(_to_date),
        }
    )
    if loans["flag_own_car"].isna().any():
        raise ValueError("reference expects a clean file")
    return loans


def _to_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _floor_years(start: date | None, end: date) -> float:
    if start is None:
        return np.nan
    return float((end - start).days // 365)


def _years_on_the_job(start: date | None, end: date) -> float:
    if start is None or start > end:
        return np.nan
    return float((end - start).days // 365)


def training_reference(loans: pd.DataFrame) -> pd.DataFrame:
    ordered = loans.sort_values(["id", "loan_date", "loan_id"], kind="mergesort").reset_index(
        drop=True
    )
    ordered["nb_previous_loans"] = ordered.groupby("id").cumcount()

    # Mean over strictly earlier dates: cumulative per-day totals, shifted by one day-group.
    daily = (
        ordered.groupby(["id", "loan_date"], sort=True)["loan_amount"]
        .agg(day_sum="sum", day_count="count")
        .reset_index()
    )
    daily["sum_before"] = daily.groupby("id")["day_sum"].cumsum() - daily["day_sum"]
    daily["count_before"] = daily.groupby("id")["day_count"].cumsum() - daily["day_count"]
    daily["avg_amount_loans_previous"] = np.where(
        daily["count_before"] > 0, daily["sum_before"] / daily["count_before"].clip(lower=1), np.nan
    )
    ordered = ordered.merge(
        daily[["id", "loan_date", "avg_amount_loans_previous"]], on=["id", "loan_date"]
    )
    loan_days = [timestamp.date() for timestamp in ordered["loan_date"]]
    ordered["age"] = [
        _floor_years(b, d) for b, d in zip(ordered["birthday"], loan_days, strict=True)
    ]
    ordered["years_on_the_job"] = [
        _years_on_the_job(j, d) for j, d in zip(ordered["job_start_date"], loan_days, strict=True)
    ]
    return ordered


def online_reference(loans: pd.DataFrame, as_of: date) -> pd.DataFrame:
    cutoff = pd.Timestamp(as_of)
    rows = []
    for customer, group in loans.groupby("id"):
        up_to = group[group["loan_date"] <= cutoff]
        if up_to.empty:
            continue
        before = group[group["loan_date"] < cutoff]
        latest = up_to.sort_values(["loan_date", "loan_id"]).iloc[-1]
        rows.append(
            {
                "id": customer,
                "nb_previous_loans": len(up_to),
                "avg_amount_loans_previous": before["loan_amount"].mean()
                if len(before)
                else np.nan,
                "age": _floor_years(latest["birthday"], as_of),
                "years_on_the_job": _years_on_the_job(latest["job_start_date"], as_of),
                "flag_own_car": int(latest["flag_own_car"]),
                "last_loan_date": up_to["loan_date"].max().date(),
            }
        )
    return pd.DataFrame(rows)
