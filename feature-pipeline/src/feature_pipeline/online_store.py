"""Online feature store: load a fresh table from Spark, check it, swap it in atomically.

Readers query `customer_features` by name. A publication:

1. sweeps `customer_features_new_*` / `_old_*` tables that a killed run left behind (on
   PostgreSQL under an advisory lock, so two publications never meet);
2. loads the rows into a uniquely named staging table straight from Spark, partition by
   partition, so the driver never holds all customers: PostgreSQL takes one `COPY` per Spark
   partition, in parallel, from the executors; SQLite (local runs) takes the partitions one at
   a time through the driver, in one transaction;
3. reports how many live customers the new table would lose (the caller's volume guard);
4. publishes: one short transaction renames the live table away and the staging table into
   its place. On PostgreSQL the rename waits at most `lock_timeout` for its lock, and is retried
   with backoff: a session that holds the table (an analyst's open transaction) can delay the
   swap but never queue serving reads behind it for longer than that.

Both databases have transactional DDL, so a reader sees the complete old table or the complete
new one. Until `publish()` nothing a reader can see has changed; a failed or refused
publication drops its staging table.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from pyspark.sql import DataFrame
from sqlalchemy import BigInteger, Column, Date, Double, Engine, Integer, MetaData, Table, Text
from sqlalchemy.schema import CreateTable

from feature_pipeline.errors import OnlineStoreError
from feature_pipeline.schema import ONLINE_COLUMNS, ONLINE_TABLE
from feature_pipeline.store_access import StoreTarget, store_engine
from feature_pipeline.store_loading import copy_partitions, insert_through_driver

__all__ = ["OnlineStoreError", "StoreSettings", "VolumeCheck", "online_table", "staged_publication"]


class StoreSettings(BaseSettings):
    """Environment variables FEATURE_PIPELINE_STORE_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="FEATURE_PIPELINE_STORE_", frozen=True)

    # Longest a swap attempt may queue serving reads behind its lock request.
    lock_timeout_ms: int = Field(default=200, ge=1)
    swap_attempts: int = Field(default=10, ge=1)
    first_backoff_seconds: float = Field(default=0.25, ge=0.0)
    max_backoff_seconds: float = Field(default=4.0, ge=0.0)
    # PostgreSQL: at most this many executor connections COPY at once (one per partition).
    load_connections: int = Field(default=8, ge=1)
    # SQLite: rows per executemany through the driver.
    batch_rows: int = Field(default=10_000, ge=1)


def online_table(name: str, metadata: MetaData | None = None, primary_key: bool = True) -> Table:
    """The table of docs/contracts/online-store.md, under an arbitrary table name."""
    return Table(
        name,
        metadata or MetaData(),
        Column("id", BigInteger, primary_key=primary_key, autoincrement=False, nullable=False),
        Column("nb_previous_loans", Integer, nullable=False),
        Column("avg_amount_loans_previous", Double, nullable=True),
        Column("age", Integer, nullable=True),
        Column("years_on_the_job", Integer, nullable=True),
        Column("flag_own_car", Integer, nullable=False),
        Column("as_of", Date, nullable=False),
        Column("last_loan_date", Date, nullable=False),
        Column("run_id", Text, nullable=False),
    )


@dataclass(frozen=True)
class VolumeCheck:
    live_rows: int | None  # None: there is no live table yet
    new_rows: int
    lost_customers: int  # live customers the new table does not have

    @property
    def lost_share(self) -> float:
        return self.lost_customers / self.live_rows if self.live_rows else 0.0


@dataclass(frozen=True)
class SwapOutcome:
    attempts: int
    retired_table_left: bool  # the old table was still in use: the next run's sweep drops it


class _Backend(Protocol):
    def sweep(self, table: str) -> list[str]: ...

    def load(self, frame: DataFrame, staging: str) -> int: ...

    def volume(self, table: str, staging: str, new_rows: int) -> VolumeCheck: ...

    def swap(self, table: str, staging: str, retired: str) -> SwapOutcome: ...

    def drop(self, name: str) -> bool: ...

    def close(self) -> None: ...


def _create_sql(engine: Engine, name: str, primary_key: bool) -> str:
    return str(
        CreateTable(online_table(name, primary_key=primary_key)).compile(dialect=engine.dialect)
    )


def _orphans(names: list[str], table: str) -> list[str]:
    prefixes = (f"{table}_new_", f"{table}_old_")
    return sorted(name for name in names if name.startswith(prefixes))


class _SqliteBackend:
    def __init__(self, engine: Engine, settings: StoreSettings) -> None:
        self._engine = engine
        self._settings = settings
        self._raw = engine.raw_connection()
        connection: Any = self._raw.driver_connection
        # Manual transaction control: pysqlite's implicit transactions do not cover DDL.
        connection.isolation_level = None
        self._cursor = connection.cursor()
        self._cursor.execute("PRAGMA busy_timeout = 30000")
        # WAL lets readers keep reading the old table while the new one is loaded and swapped.
        self._cursor.execute("PRAGMA journal_mode = WAL")

    def _tables(self) -> list[str]:
        rows = self._cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [str(name) for (name,) in rows.fetchall()]

    def sweep(self, table: str) -> list[str]:
        orphans = _orphans(self._tables(), table)
        for name in orphans:
            self._cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        return orphans

    def load(self, frame: DataFrame, staging: str) -> int:
        self._cursor.execute("BEGIN IMMEDIATE")
        try:
            self._cursor.execute(_create_sql(self._engine, staging, primary_key=True))
            rows = insert_through_driver(self._cursor, frame, staging, self._settings.batch_rows)
            self._cursor.execute("COMMIT")
        except BaseException:
            self._cursor.execute("ROLLBACK")
            raise
        return rows

    def volume(self, table: str, staging: str, new_rows: int) -> VolumeCheck:
        if table not in self._tables():
            return VolumeCheck(None, new_rows, 0)
        return _count_volume(self._cursor, table, staging, new_rows)

    def swap(self, table: str, staging: str, retired: str) -> SwapOutcome:
        self._cursor.execute("BEGIN IMMEDIATE")
        try:
            if table in self._tables():
                self._cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{retired}"')
            self._cursor.execute(f'ALTER TABLE "{staging}" RENAME TO "{table}"')
            self._cursor.execute("COMMIT")
        except BaseException:
            self._cursor.execute("ROLLBACK")
            raise
        return SwapOutcome(attempts=1, retired_table_left=not self.drop(retired))

    def drop(self, name: str) -> bool:
        self._cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        return True

    def close(self) -> None:
        self._raw.close()


def _count_volume(cursor: Any, table: str, staging: str, new_rows: int) -> VolumeCheck:
    cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names are ours
    (live,) = cursor.fetchone()
    cursor.execute(
        f'SELECT count(*) FROM "{table}" AS live WHERE NOT EXISTS '  # noqa: S608 - names are ours
        f'(SELECT 1 FROM "{staging}" AS new WHERE new.id = live.id)'
    )
    (lost,) = cursor.fetchone()
    return VolumeCheck(int(live), new_rows, int(lost))


class _PostgresBackend:
    def __init__(self, engine: Engine, target: StoreTarget, settings: StoreSettings) -> None:
        self._engine = engine
        self._target = target
        self._settings = settings
        self._raw = engine.raw_connection()
        connection: Any = self._raw.driver_connection
        # Autocommit between our own explicit transactions: this session stays open while the
        # lake is written, and must never sit "idle in transaction" (the role's
        # idle_in_transaction_session_timeout would end it).
        connection.autocommit = True
        self._cursor = connection.cursor()
        self._cursor.execute(f"SET lock_timeout = {int(settings.lock_timeout_ms)}")

    def _lock_publication(self, table: str) -> None:
        # Session-level: released when this connection ends, even if the process is killed.
        self._cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (f"publish:{table}",))
        (acquired,) = self._cursor.fetchone()
        if not acquired:
            raise OnlineStoreError(f"another run is publishing {table} right now; nothing changed")

    def _tables(self) -> list[str]:
        self._cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return [str(name) for (name,) in self._cursor.fetchall()]

    def sweep(self, table: str) -> list[str]:
        self._lock_publication(table)
        return [name for name in _orphans(self._tables(), table) if self.drop(name)]

    def load(self, frame: DataFrame, staging: str) -> int:
        ledger = f"{staging}_parts"
        self._cursor.execute(_create_sql(self._engine, staging, primary_key=False))
        self._cursor.execute(f'CREATE TABLE "{ledger}" (part integer PRIMARY KEY)')
        copy_partitions(frame, self._target, staging, ledger, self._settings.load_connections)
        # One index build after the load is cheaper than maintaining it row by row; it is also
        # where a duplicate id would fail the publication.
        self._cursor.execute(f'ALTER TABLE "{staging}" ADD PRIMARY KEY (id)')
        self._cursor.execute(f'ANALYZE "{staging}"')
        self._cursor.execute(f'DROP TABLE "{ledger}"')
        self._cursor.execute(f'SELECT count(*) FROM "{staging}"')  # noqa: S608 - names are ours
        (rows,) = self._cursor.fetchone()
        return int(rows)

    def volume(self, table: str, staging: str, new_rows: int) -> VolumeCheck:
        if table not in self._tables():
            return VolumeCheck(None, new_rows, 0)
        return _count_volume(self._cursor, table, staging, new_rows)

    def swap(self, table: str, staging: str, retired: str) -> SwapOutcome:
        import psycopg2.errors

        delay = self._settings.first_backoff_seconds
        for attempt in range(1, self._settings.swap_attempts + 1):
            try:
                self._rename(table, staging, retired)
            except psycopg2.errors.LockNotAvailable:
                if attempt == self._settings.swap_attempts:
                    raise OnlineStoreError(self._lock_holders_message(table, attempt)) from None
                time.sleep(delay)
                delay = min(delay * 2, self._settings.max_backoff_seconds)
                continue
            return SwapOutcome(attempt, retired_table_left=not self.drop(retired))
        raise AssertionError("unreachable")  # pragma: no cover

    def _rename(self, table: str, staging: str, retired: str) -> None:
        self._cursor.execute("BEGIN")
        try:
            self._cursor.execute("SELECT to_regclass(%s)", (f'"{table}"',))
            (live_exists,) = self._cursor.fetchone()
            if live_exists:
                self._cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{retired}"')
            self._cursor.execute(f'ALTER TABLE "{staging}" RENAME TO "{table}"')
            self._cursor.execute("COMMIT")
        except BaseException:
            self._cursor.execute("ROLLBACK")
            raise

    def _lock_holders_message(self, table: str, attempts: int) -> str:
        self._cursor.execute(
            "SELECT a.pid, a.usename, a.state, now() - a.xact_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.relation = to_regclass(%s) AND l.granted AND a.pid <> pg_backend_pid()",
            (f'"{table}"',),
        )
        holders = "; ".join(
            f"pid {pid} ({user}, {state}, transaction open for {age})"
            for pid, user, state, age in self._cursor.fetchall()
        )
        return (
            f"could not swap {table}: its lock was not free within "
            f"{self._settings.lock_timeout_ms} ms in {attempts} attempts "
            f"(held by {holders or 'a session that has since ended'}); the live table is unchanged"
        )

    def drop(self, name: str) -> bool:
        import psycopg2.errors

        try:
            self._cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        except psycopg2.errors.LockNotAvailable:
            return False  # still read by a long transaction: the next sweep drops it
        return True

    def close(self) -> None:
        self._raw.close()


def _open_backend(engine: Engine, target: StoreTarget, settings: StoreSettings) -> _Backend:
    if engine.dialect.name == "sqlite":
        return _SqliteBackend(engine, settings)
    if engine.dialect.name == "postgresql":
        return _PostgresBackend(engine, target, settings)
    raise OnlineStoreError(f"unsupported online store dialect {engine.dialect.name!r}")


@dataclass
class StagedPublication:
    """A loaded staging table, not yet visible to readers."""

    _backend: _Backend
    table: str
    staging: str
    rows: int
    swept: list[str]
    published: SwapOutcome | None = None

    def volume(self) -> VolumeCheck:
        return self._backend.volume(self.table, self.staging, self.rows)

    def publish(self) -> SwapOutcome:
        retired = self.staging.replace("_new_", "_old_", 1)
        try:
            self.published = self._backend.swap(self.table, self.staging, retired)
        except OnlineStoreError:
            raise
        except Exception as error:
            raise OnlineStoreError(f"swapping in the online table failed: {error}") from error
        return self.published


@contextmanager
def staged_publication(
    frame: DataFrame,
    target: StoreTarget,
    settings: StoreSettings | None = None,
    table: str = ONLINE_TABLE,
) -> Iterator[StagedPublication]:
    """Load `frame` (the online columns) into a staging table; publish() makes it live.

    Leaving the block without publish() drops the staging table; the live table is untouched.
    """
    settings = settings or StoreSettings()
    engine = store_engine(target)
    staging = f"{table}_new_{uuid.uuid4().hex[:12]}"
    backend: _Backend | None = None
    try:
        backend = _open_backend(engine, target, settings)
        swept = backend.sweep(table)
        rows = backend.load(frame.select(*ONLINE_COLUMNS), staging)
    except BaseException as error:
        _discard(backend, staging)
        _close(backend, engine)
        if isinstance(error, OnlineStoreError | KeyboardInterrupt | SystemExit):
            raise
        raise OnlineStoreError(f"loading the online store failed: {error}") from error
    staged = StagedPublication(backend, table, staging, rows, swept)
    try:
        yield staged
    finally:
        if staged.published is None:
            _discard(backend, staging)
        _close(backend, engine)


def _discard(backend: _Backend | None, staging: str) -> None:
    if backend is None:
        return
    try:
        backend.drop(staging)
        backend.drop(f"{staging}_parts")
    except Exception:
        return


def _close(backend: _Backend | None, engine: Engine) -> None:
    try:
        if backend is not None:
            backend.close()
    finally:
        engine.dispose()
