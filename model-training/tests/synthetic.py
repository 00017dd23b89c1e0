"""Small training-set-shaped data with a known signal (contract 2 columns), for tests only.

Latent risk per customer (logit): young age, no job (null years_on_the_job) and a short tenure
raise it; owning a car lowers it; a per-customer random effect makes lateness repeat within a
customer, as in the real file. Every loan's status is Bernoulli(sigmoid(risk)). Features follow
docs/contracts/features.md (nb_previous_loans by (loan_date, loan_id) order; average over
strictly earlier days).
"""

from __future__ import annotations

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


def write_pipeline_output(frame: pd.DataFrame, root: Path, parts: int = 2) -> Path:
    """Mimic the feature pipeline output layout (contract 2) including `_SUCCESS`."""
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
    files = [
        {"path": str(p.relative_to(root)), "size_bytes": p.stat().st_size}
        for p in sorted((root / "training_set").rglob("part-*"))
    ]
    manifest = {"run_id": "test", "rows": len(frame), "files": files}
    (root / "_SUCCESS").write_text(json.dumps(manifest))
    return root
