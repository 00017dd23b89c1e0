"""Benchmark-only: training rows (docs/contracts/features.md) from a raw loans CSV, in pandas.

The benchmark needs a full-size training set without depending on the Spark pipeline. This is an
independent pandas implementation of docs/contracts/features.md (as_of = the loan's own
loan_date), writing the
contract-2 columns as one Parquet file. It is NOT used by the service.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

RAW_COLUMNS = [
    "loan_id",
    "id",
    "flag_own_car",
    "birthday",
    "job_start_date",
    "loan_date",
    "loan_amount",
    "status",
]
OUT_COLUMNS = [
    "id",
    "loan_id",
    "loan_date",
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
    "status",
]


def training_rows(raw_csv: Path) -> pd.DataFrame:
    raw = pd.read_csv(raw_csv, usecols=RAW_COLUMNS, dtype={"flag_own_car": str})
    loan_date = pd.to_datetime(raw["loan_date"], format="%Y-%m-%d")
    birthday = pd.to_datetime(raw["birthday"], format="%Y-%m-%d", errors="coerce")
    # The 3021-09-18 sentinel overflows datetime64[ns] -> NaT -> null, as the contract wants
    # (it is later than every as_of anyway).
    job_start = pd.to_datetime(raw["job_start_date"], format="%Y-%m-%d", errors="coerce")
    frame = pd.DataFrame(
        {
            "id": raw["id"],
            "loan_id": raw["loan_id"],
            "loan_date": loan_date,
            "loan_amount": raw["loan_amount"],
            "age": np.floor((loan_date - birthday).dt.days / 365),
            "years_on_the_job": np.floor((loan_date - job_start).dt.days / 365).where(
                job_start <= loan_date
            ),
            "flag_own_car": raw["flag_own_car"].map({"Y": 1, "N": 0}),
            "status": raw["status"],
        }
    )
    if frame["flag_own_car"].isna().any():
        raise ValueError("flag_own_car outside Y/N")
    frame = frame.sort_values(["id", "loan_date", "loan_id"], kind="mergesort").reset_index(
        drop=True
    )
    frame["nb_previous_loans"] = frame.groupby("id").cumcount()
    per_day = frame.groupby(["id", "loan_date"], sort=True)["loan_amount"].agg(["sum", "count"])
    per_day["prev_sum"] = per_day.groupby(level="id")["sum"].cumsum() - per_day["sum"]
    per_day["prev_count"] = per_day.groupby(level="id")["count"].cumsum() - per_day["count"]
    per_day["avg_amount_loans_previous"] = (per_day["prev_sum"] / per_day["prev_count"]).where(
        per_day["prev_count"] > 0
    )
    frame = frame.join(per_day["avg_amount_loans_previous"], on=["id", "loan_date"])
    frame["loan_date"] = frame["loan_date"].dt.strftime("%Y-%m-%d")
    return frame[OUT_COLUMNS].sort_values("loan_id").reset_index(drop=True)


def online_rows(raw_csv: Path, as_of: str = "2021-01-01") -> pd.DataFrame:
    """One served row per customer as of `as_of` (the online store's view): every loan before
    as_of counts as previous."""
    raw = pd.read_csv(raw_csv, usecols=RAW_COLUMNS, dtype={"flag_own_car": str})
    cutoff = pd.Timestamp(as_of)
    raw = raw[pd.to_datetime(raw["loan_date"]) < cutoff]
    per_customer = raw.groupby("id").agg(
        nb_previous_loans=("loan_id", "size"),
        avg_amount_loans_previous=("loan_amount", "mean"),
        birthday=("birthday", "first"),
        job_start_date=("job_start_date", "first"),
        flag_own_car=("flag_own_car", "first"),
    )
    birthday = pd.to_datetime(per_customer["birthday"], errors="coerce")
    job_start = pd.to_datetime(per_customer["job_start_date"], errors="coerce")
    return pd.DataFrame(
        {
            "id": per_customer.index,
            "nb_previous_loans": per_customer["nb_previous_loans"].to_numpy(),
            "avg_amount_loans_previous": per_customer["avg_amount_loans_previous"].to_numpy(),
            "age": np.floor((cutoff - birthday).dt.days / 365).to_numpy(),
            "years_on_the_job": np.floor((cutoff - job_start).dt.days / 365)
            .where(job_start <= cutoff)
            .to_numpy(),
            "flag_own_car": per_customer["flag_own_car"].map({"Y": 1, "N": 0}).to_numpy(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    parser.add_argument("--online", type=Path, help="also write the online rows (Parquet)")
    args = parser.parse_args()
    if args.online:
        online_rows(args.raw).to_parquet(args.online, index=False)
    rows = training_rows(args.raw)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    rows.to_parquet(tmp, index=False)
    tmp.rename(args.out)
    print(f"{len(rows)} training rows -> {args.out}")


if __name__ == "__main__":
    main()
