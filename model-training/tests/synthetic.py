"""Small training-set-shaped data with a known signal (contract 2 columns), for tests only.

Latent risk per customer (logit): young age, no job (null years_on_the_job) and a short tenure
raise it; owning a car lowers it; a per-customer random effect makes lateness repeat within a
customer, as in the real file. Every loan's status is Bernoulli(sigmoid(risk)). Features follow
docs/contracts/features.md (nb_previous_loans by (loan_date, loan_id) order; average over
strictly earlier days).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

FEATURES = [
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
]
COLUMNS = ["id", "loan_id", "loan_date", *FEATURES, "status"]


def make_training_set(
    n_customers: int = 400,
    seed: int = 0,
    base_logit: float = -2.6,
    signal: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (training set, raw customer attributes with id, code_gender, name_income_type)."""
    rng = np.random.default_rng(seed)
    ids = 5_008_804 + np.sort(rng.choice(200_000, size=n_customers, replace=False))
    age = rng.integers(21, 70, size=n_customers)
    employed = rng.random(n_customers) > 0.18
    years = np.where(employed, np.minimum(rng.integers(0, 30, n_customers), age - 18), -1)
    car = (rng.random(n_customers) < 0.38).astype(int)
    gender = np.where(rng.random(n_customers) < 0.66, "F", "M")
    income = np.where(
        ~employed,
        "Pensioner",
        rng.choice(["Working", "Commercial associate", "State servant"], n_customers),
    )
    risk = (
        base_logit
        + signal * (1.4 * (age < 30) - 0.02 * (age - 40) + 0.9 * ~employed - 0.6 * car)
        + signal * 0.9 * np.where(employed, years < 2, 0)
        + rng.normal(0, 0.7, n_customers)
    )
    loans_per_customer = rng.integers(1, 25, size=n_customers)
    rows = []
    loan_id = 1000
    start = np.datetime64("2019-01-01")
    for i in range(n_customers):
        for _ in range(loans_per_customer[i]):
            p = 1 / (1 + np.exp(-risk[i]))
            rows.append(
                {
                    "id": int(ids[i]),
                    "loan_id": loan_id,
                    "loan_date": start + np.timedelta64(int(rng.integers(0, 730)), "D"),
                    "loan_amount": 100 + rng.exponential(30),
                    "age": int(age[i]),
                    "years_on_the_job": float(years[i]) if employed[i] else np.nan,
                    "flag_own_car": int(car[i]),
                    "status": int(rng.random() < p),
                }
            )
            loan_id += 1
    # loan_id is not chronological within a customer (as in the real file)
    frame = pd.DataFrame(rows)
    frame["loan_id"] = rng.permutation(frame["loan_id"].to_numpy())
    frame = frame.sort_values(["id", "loan_date", "loan_id"]).reset_index(drop=True)
    frame["nb_previous_loans"] = frame.groupby("id").cumcount()
    day = frame.groupby(["id", "loan_date"], as_index=False)["loan_amount"].agg(["sum", "count"])
    day["cum_sum"] = day.groupby("id")["sum"].cumsum() - day["sum"]
    day["cum_count"] = day.groupby("id")["count"].cumsum() - day["count"]
    day["avg_amount_loans_previous"] = np.where(
        day["cum_count"] > 0, day["cum_sum"] / day["cum_count"].where(day["cum_count"] > 0), np.nan
    )
    frame = frame.merge(
        day[["id", "loan_date", "avg_amount_loans_previous"]], on=["id", "loan_date"]
    )
    frame["loan_date"] = pd.to_datetime(frame["loan_date"]).dt.strftime("%Y-%m-%d")
    raw = pd.DataFrame({"id": ids, "code_gender": gender, "name_income_type": income})
    return frame[COLUMNS].sort_values("loan_id").reset_index(drop=True), raw


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def online_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One served row per customer, one loan after the customer's last training row."""
    last = frame.sort_values(["id", "loan_date", "loan_id"]).groupby("id").tail(1)
    return pd.DataFrame(
        {
            "id": last["id"].to_numpy(),
            "nb_previous_loans": last["nb_previous_loans"].to_numpy() + 1,
            "avg_amount_loans_previous": last["avg_amount_loans_previous"].fillna(130.0).to_numpy(),
            "age": last["age"].to_numpy(),
            "years_on_the_job": last["years_on_the_job"].to_numpy(),
            "flag_own_car": last["flag_own_car"].to_numpy(),
            "as_of": "2021-01-01",
            "run_id": "r1",
        }
    )


def write_pipeline_run(
    frame: pd.DataFrame, output: Path, run_id: str = "r1", parts: int = 2, online: bool = True
) -> Path:
    """The lake layout of DESIGN C1: output/run=<id>/..., _SUCCESS, then the _LATEST pointer."""
    run = write_pipeline_output(
        frame, output / f"run={run_id}", parts, run_id=run_id, online=online
    )
    manifest = (run / "_SUCCESS").read_bytes()
    pointer = {
        "run_id": run_id,
        "as_of": "2021-01-01",
        "prefix": f"run={run_id}/",
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "updated_at": "2021-01-01T00:00:00+00:00",
    }
    (output / "_LATEST").write_text(json.dumps(pointer))
    return output


def write_pipeline_output(
    frame: pd.DataFrame, root: Path, parts: int = 2, run_id: str = "test", online: bool = False
) -> Path:
    """One pipeline run's files (training set, optionally online rows) and its `_SUCCESS`."""
    for fmt in ("csv", "parquet"):
        (root / "training_set" / fmt).mkdir(parents=True, exist_ok=True)
    for i, chunk in enumerate(
        frame.iloc[rows] for rows in np.array_split(np.arange(len(frame)), parts)
    ):
        chunk.to_csv(root / "training_set" / "csv" / f"part-{i:05d}.csv", index=False)
        typed = chunk.copy()
        typed["loan_date"] = pd.to_datetime(typed["loan_date"]).dt.date
        typed.to_parquet(root / "training_set" / "parquet" / f"part-{i:05d}.parquet", index=False)
    (root / "quarantine").mkdir(exist_ok=True)
    if online:
        (root / "online" / "parquet").mkdir(parents=True, exist_ok=True)
        online_rows(frame).to_parquet(root / "online" / "parquet" / "part-00000.parquet")
    files = [
        {"path": str(p.relative_to(root)), "size_bytes": p.stat().st_size}
        for p in sorted(root.rglob("part-*"))
    ]
    manifest = {"run_id": run_id, "as_of": "2021-01-01", "rows": len(frame), "files": files}
    (root / "_SUCCESS").write_text(json.dumps(manifest))
    return root
