"""Online stores and lake runs as the feature pipeline publishes them (docs/contracts/
online-store.md, the lake layout in feature-pipeline/README.md), built from plain rows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from monitoring_factories import NAMES
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


def materialise(store_url: str, rows: dict[int, dict[str, Any]], as_of: date, run_id: str) -> None:
    """A store table holding ``rows`` (customer id -> the five features)."""
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text(STORE_DDL))
        for customer, row in rows.items():
            connection.execute(
                text(
                    "INSERT INTO customer_features VALUES (:id, :nb_previous_loans, "
                    ":avg_amount_loans_previous, :age, :years_on_the_job, :flag_own_car, "
                    ":as_of, :as_of, :run_id)"
                ),
                {"id": customer, **row, "as_of": as_of.isoformat(), "run_id": run_id},
            )
    engine.dispose()


def read_store(store_url: str) -> dict[int, dict[str, Any]]:
    """The rows as the store holds them (what the inference service serves)."""
    engine = create_engine(store_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT id, {', '.join(NAMES)} FROM customer_features ORDER BY id")
        ).mappings()
        result = {int(row["id"]): {name: row[name] for name in NAMES} for row in rows}
    engine.dispose()
    return result


def online_table(rows: dict[int, dict[str, Any]], run_id: str, as_of: date) -> pa.Table:
    ids = sorted(rows)
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "nb_previous_loans": pa.array([rows[i]["nb_previous_loans"] for i in ids], pa.int32()),
            "avg_amount_loans_previous": pa.array(
                [rows[i]["avg_amount_loans_previous"] for i in ids], pa.float64()
            ),
            "age": pa.array([rows[i]["age"] for i in ids], pa.int32()),
            "years_on_the_job": pa.array([rows[i]["years_on_the_job"] for i in ids], pa.int32()),
            "flag_own_car": pa.array([rows[i]["flag_own_car"] for i in ids], pa.int32()),
            "as_of": pa.array([as_of] * len(ids), pa.date32()),
            "last_loan_date": pa.array([as_of] * len(ids), pa.date32()),
            "run_id": pa.array([run_id] * len(ids), pa.string()),
        }
    )


def lake_run_files(
    rows: dict[int, dict[str, Any]], run_id: str, as_of: date, parts: int = 2
) -> dict[str, bytes]:
    """Relative path -> bytes of a committed run's online rows (Spark-like part files)."""
    table = online_table(rows, run_id, as_of)
    files: dict[str, bytes] = {}
    step = -(-table.num_rows // parts)
    for part in range(parts):
        sink = pa.BufferOutputStream()
        pq.write_table(table.slice(part * step, step), sink)
        name = f"run={run_id}/online/parquet/part-{part:05d}-abc.snappy.parquet"
        files[name] = sink.getvalue().to_pybytes()
    files[f"run={run_id}/online/parquet/_SUCCESS"] = b""  # Spark's own marker, not a part file
    manifest = {"run_id": run_id, "as_of": as_of.isoformat(), "row_counts": {"online": len(rows)}}
    files[f"run={run_id}/_SUCCESS"] = json.dumps(manifest).encode()
    return files


def write_lake_run(lake: Path, rows: dict[int, dict[str, Any]], run_id: str, as_of: date) -> None:
    for name, payload in lake_run_files(rows, run_id, as_of).items():
        path = lake / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)


def rows_from_columns(columns: dict[str, Any], first_id: int = 5_000_000) -> dict[int, dict]:
    """Customer id -> feature row from column arrays (NaN = null), typed as the store types."""
    import math

    n = len(columns[NAMES[0]])
    rows = {}
    for i in range(n):
        row = {}
        for name in NAMES:
            value = float(columns[name][i])
            if math.isnan(value):
                row[name] = None
            else:
                row[name] = value if name == "avg_amount_loans_previous" else int(value)
        rows[first_id + i] = row
    return rows
