"""Independent reference implementation of the online feature row, for skew tests.

Written from docs/contracts/features.md.

Written from the feature contract, not from the pipeline's code: the online row of a customer
as of T counts loans dated <= T, averages amounts of loans dated < T, and takes age and
years_on_the_job as of T (years null when job_start_date is missing or after T).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

STORE_DDL = """
CREATE TABLE customer_features (
  id BIGINT PRIMARY KEY,
  nb_previous_loans INTEGER NOT NULL,
  avg_amount_loans_previous DOUBLE PRECISION,
  age INTEGER,
  years_on_the_job INTEGER,
  flag_own_car INTEGER NOT NULL,
  as_of DATE NOT NULL,
  last_loan_date DATE NOT NULL,
  run_id TEXT NOT NULL
)
"""


def read_loans(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _parse_date(text: str) -> date | None:
    text = text.strip()
    return date.fromisoformat(text) if text else None


def online_rows(
    loans: list[dict[str, str]], as_of: date, today: date | None = None
) -> dict[int, dict[str, Any]]:
    """Online rows as of ``as_of``. ``today`` simulates the serving bug of ageing with "today"."""
    by_customer: dict[int, list[dict[str, str]]] = defaultdict(list)
    for loan in loans:
        by_customer[int(loan["id"])].append(loan)
    ageing_date = today or as_of
    rows = {}
    for customer, customer_loans in by_customer.items():
        known = [loan for loan in customer_loans if date.fromisoformat(loan["loan_date"]) <= as_of]
        if not known:
            continue
        earlier = [
            float(loan["loan_amount"])
            for loan in known
            if date.fromisoformat(loan["loan_date"]) < as_of
        ]
        first = known[0]
        birthday = _parse_date(first["birthday"])
        job_start = _parse_date(first["job_start_date"])
        rows[customer] = {
            "nb_previous_loans": len(known),
            "avg_amount_loans_previous": sum(earlier) / len(earlier) if earlier else None,
            "age": (ageing_date - birthday).days // 365 if birthday else None,
            "years_on_the_job": (ageing_date - job_start).days // 365
            if job_start and job_start <= ageing_date
            else None,
            "flag_own_car": 1 if first["flag_own_car"] == "Y" else 0,
            "last_loan_date": max(date.fromisoformat(loan["loan_date"]) for loan in known),
        }
    return rows


def materialise(store_url: str, rows: dict[int, dict[str, Any]], as_of: date) -> None:
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text(STORE_DDL))
        for customer, row in rows.items():
            connection.execute(
                text(
                    "INSERT INTO customer_features VALUES (:id, :nb, :avg, :age, :years, :car, "
                    ":as_of, :last, 'reference')"
                ),
                {
                    "id": customer,
                    "nb": row["nb_previous_loans"],
                    "avg": row["avg_amount_loans_previous"],
                    "age": row["age"],
                    "years": row["years_on_the_job"],
                    "car": row["flag_own_car"],
                    "as_of": as_of.isoformat(),
                    "last": row["last_loan_date"].isoformat(),
                },
            )
    engine.dispose()


def handmade_loans() -> list[dict[str, str]]:
    """A few customers with same-day loans, a missing job start and the 3021 sentinel."""
    rows = []
    loan_id = 1000
    customers = [
        (5008804, "1980-03-01", "2010-06-15", "Y"),
        (5008805, "1995-12-31", "", "N"),
        (5008806, "1960-07-07", "3021-09-18", "N"),
        (5008807, "1988-01-20", "2019-05-01", "Y"),
    ]
    dates = ["2019-01-05", "2019-03-10", "2019-03-10", "2020-02-02", "2020-06-30", "2020-12-01"]
    for index, (customer, birthday, job_start, car) in enumerate(customers):
        for offset, loan_date in enumerate(dates[index % 2 :]):
            loan_id += 1
            rows.append(
                {
                    "loan_id": str(loan_id),
                    "id": str(customer),
                    "flag_own_car": car,
                    "birthday": birthday,
                    "job_start_date": job_start,
                    "loan_date": loan_date,
                    "loan_amount": f"{100 + 7.5 * offset + index:.2f}",
                }
            )
    return rows
