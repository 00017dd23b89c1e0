"""Online feature store: bulk-load a fresh table, then swap it in under the live name atomically.

Readers query `customer_features` by name. The new rows go into a uniquely named staging table;
one short transaction renames the live table away and the staging table into its place, so a
reader sees either the complete old table or the complete new one, never an empty or half-loaded
one. Both PostgreSQL and SQLite have transactional DDL, which is what makes this work.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Double,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
)
from sqlalchemy.schema import CreateTable

from feature_pipeline.errors import OnlineStoreError
from feature_pipeline.schema import ONLINE_COLUMNS, ONLINE_TABLE

__all__ = ["OnlineStoreError", "normalise", "online_table", "publish"]


def online_table(name: str, metadata: MetaData | None = None) -> Table:
    """The table of docs/contracts/online-store.md, under an arbitrary table name."""
    return Table(
        name,
        metadata or MetaData(),
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("nb_previous_loans", Integer, nullable=False),
        Column("avg_amount_loans_previous", Double, nullable=True),
        Column("age", Integer, nullable=True),
        Column("years_on_the_job", Integer, nullable=True),
        Column("flag_own_car", Integer, nullable=False),
        Column("as_of", Date, nullable=False),
        Column("last_loan_date", Date, nullable=False),
        Column("run_id", Text, nullable=False),
    )


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Fix column order and dtypes (nullable ints stay ints, dates become ISO strings)."""
    missing = [column for column in ONLINE_COLUMNS if column not in frame.columns]
    if missing:
        raise OnlineStoreError(f"online frame lacks columns {missing}")
    out = pd.DataFrame(index=frame.index)
    out["id"] = frame["id"].astype("int64")
    for column in ("nb_previous_loans", "age", "years_on_the_job", "flag_own_car"):
        out[column] = frame[column].astype("Int64")
    out["avg_amount_loans_previous"] = frame["avg_amount_loans_previous"].astype("float64")
    for column in ("as_of", "last_loan_date"):
        out[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    out["run_id"] = frame["run_id"].astype(str)
    for column in ("id", "nb_previous_loans", "flag_own_car", "as_of", "last_loan_date"):
        if out[column].isna().any():
            raise OnlineStoreError(f"online column {column} must not contain nulls")
    if out["id"].duplicated().any():
        raise OnlineStoreError("online frame has duplicate customer ids")
    return out[list(ONLINE_COLUMNS)].reset_index(drop=True)


def _python_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    # DB-API drivers want plain Python scalars and None, not numpy scalars and pd.NA.
    columns = [
        [None if pd.isna(value) else value for value in frame[column].tolist()]
        for column in frame.columns
    ]
    return list(zip(*columns, strict=True))


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def publish(frame: pd.DataFrame, url: str, table: str = ONLINE_TABLE) -> int:
    """Replace the contents of `table` with `frame` atomically. Returns the number of rows."""
    rows = normalise(frame)
    token = uuid.uuid4().hex[:12]
    staging, retired = f"{table}_new_{token}", f"{table}_old_{token}"
    with _engine(url) as engine:
        dialect = engine.dialect.name
        if dialect == "sqlite":
            _publish_sqlite(engine, rows, table, staging, retired)
        elif dialect == "postgresql":
            _publish_postgres(engine, rows, table, staging, retired)
        else:
            raise OnlineStoreError(f"unsupported online store dialect {dialect!r}")
    return len(rows)


def _create_sql(engine: Engine, name: str) -> str:
    return str(CreateTable(online_table(name)).compile(dialect=engine.dialect))


def _publish_sqlite(
    engine: Engine, rows: pd.DataFrame, table: str, staging: str, retired: str
) -> None:
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        # Manual transaction control: pysqlite's implicit transactions do not cover DDL.
        connection.isolation_level = None
        cursor = connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        # WAL lets readers keep reading the old table while the new one is loaded and swapped.
        cursor.execute("PRAGMA journal_mode = WAL")
        placeholders = ", ".join("?" for _ in ONLINE_COLUMNS)
        try:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(_create_sql(engine, staging))
            cursor.executemany(
                f'INSERT INTO "{staging}" ({", ".join(ONLINE_COLUMNS)}) '  # noqa: S608 - names are ours
                f"VALUES ({placeholders})",
                _python_rows(rows),
            )
            cursor.execute("COMMIT")
            cursor.execute("BEGIN IMMEDIATE")
            live_exists = cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
            if live_exists:
                cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{retired}"')
            cursor.execute(f'ALTER TABLE "{staging}" RENAME TO "{table}"')
            cursor.execute("COMMIT")
        except Exception as error:
            if connection.in_transaction:
                cursor.execute("ROLLBACK")
            cursor.execute(f'DROP TABLE IF EXISTS "{staging}"')
            raise OnlineStoreError(f"loading the SQLite online store failed: {error}") from error
        cursor.execute(f'DROP TABLE IF EXISTS "{retired}"')
    finally:
        raw.close()


def _publish_postgres(
    engine: Engine, rows: pd.DataFrame, table: str, staging: str, retired: str
) -> None:
    buffer = io.StringIO()
    # Unquoted empty fields are NULL in COPY's csv format (run_id is never empty).
    rows.to_csv(buffer, header=False, index=False, na_rep="", quoting=csv.QUOTE_MINIMAL)
    buffer.seek(0)
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        try:
            with connection.cursor() as cursor:
                cursor.execute(_create_sql(engine, staging))
                cursor.copy_expert(
                    f'COPY "{staging}" ({", ".join(ONLINE_COLUMNS)}) FROM STDIN WITH (FORMAT csv)',
                    buffer,
                )
                cursor.execute(f'ANALYZE "{staging}"')
            connection.commit()
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass(%s)", (f'"{table}"',))
                (live_exists,) = cursor.fetchone()
                if live_exists:
                    cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{retired}"')
                cursor.execute(f'ALTER TABLE "{staging}" RENAME TO "{table}"')
            connection.commit()
        except Exception as error:
            connection.rollback()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{staging}"')
            connection.commit()
            raise OnlineStoreError(
                f"loading the PostgreSQL online store failed: {error}"
            ) from error
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE IF EXISTS "{retired}"')
        connection.commit()
    finally:
        raw.close()
