"""Read-only access to the online feature store (docs/contracts/online-store.md).

Table ``customer_features``. Every query binds its parameters. Database errors of any kind
surface as :class:`StoreUnavailableError` (HTTP 503) and the next request simply tries again, so
the service recovers by itself once the database is back. A row whose values cannot be what the
contract says is :class:`CorruptRowError` for that customer only.

Lookups run on the DB-API connection directly (the statement compiled once), not through
SQLAlchemy's per-statement Connection/Result machinery, which costs more than the lookup:

* SQLite: one reused read-only connection (sqlite3 keeps the prepared statement), reopened when
  the file is replaced or removed (its inode is compared on every call).
* PostgreSQL, one request at a time (Lambda): a pooled psycopg2 connection, in autocommit,
  without a pre-ping, called inline. A pre-ping would be a second round trip on every request;
  instead a connection found dead (the proxy closed it while a Lambda was frozen, the database
  restarted) is discarded and the lookup retried once on a new one.
* PostgreSQL, requests handled concurrently (uvicorn): the same on psycopg 3's asyncio
  connections (:func:`inference_service.database.build_async_engine`). The event loop serves
  other requests while a lookup waits for the database; a synchronous lookup would stop every
  request in the process for each round trip. Single-customer lookups that arrive while
  others are in flight are coalesced into one multi-id query (:class:`_LookupBatcher`): one
  round trip to the database (through RDS Proxy in AWS) and one pass through the driver for
  all of them, instead of one each.

The lookups are coroutines either way; the synchronous ones never suspend.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Double,
    Integer,
    MetaData,
    Table,
    Text,
    inspect,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy import types as sa_types
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from inference_service.database import connect_sqlite_read_only, file_identity, sqlite_file_path

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

TABLE_NAME = "customer_features"

_metadata = MetaData()
customer_features = Table(
    TABLE_NAME,
    _metadata,
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
BOOKKEEPING_COLUMNS = ("id", "as_of", "last_loan_date", "run_id")
# Ids of one coalesced lookup: enough to absorb any burst one server meets between two round
# trips, small enough that one lookup stays a short index scan and a small array parameter.
MAX_BATCH_IDS = 256

RawRow = tuple[Any, ...]
_Waiter = tuple[int, asyncio.Future[list[RawRow]]]  # a customer id and its lookup's answer


class StoreUnavailableError(Exception):
    """The feature store cannot be queried right now (down, unreachable, timing out)."""


class StoreSchemaError(Exception):
    """The store's table does not have the columns the model needs."""


class CorruptRowError(Exception):
    """A stored row holds a value its column cannot hold (e.g. an age that is not a number).

    The message names the column and the problem, never the customer id or the value, so it
    can be logged as it is.
    """

    def __init__(self, customer_id: int, column: str, problem: str, run_id: str) -> None:
        super().__init__(f"stored feature row is invalid: {column} {problem}")
        self.customer_id = customer_id
        self.column = column
        self.problem = problem
        self.run_id = run_id


@dataclass(frozen=True, slots=True)
class FeatureRow:
    customer_id: int
    features: dict[str, float | int | None]
    as_of: date
    last_loan_date: date
    run_id: str


@dataclass(frozen=True, slots=True)
class Lookup:
    """The rows of a batch: valid ones, and the ids whose row is corrupt."""

    rows: dict[int, FeatureRow] = field(default_factory=dict)
    corrupt: dict[int, CorruptRowError] = field(default_factory=dict)


def _dtype_matches(column_type: Any, dtype: str) -> bool:
    if dtype == "int":
        return isinstance(column_type, sa_types.Integer)
    return isinstance(column_type, sa_types.Float | sa_types.Numeric | sa_types.Integer)


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError("is not an integer")


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    return number


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("is not a date")


class _RowSource(Protocol):
    # True when lookups suspend while they wait for the database (other requests run meanwhile).
    concurrent: bool

    async def fetch(self, customer_ids: Sequence[int]) -> list[tuple[Any, ...]]: ...

    async def aclose(self) -> None: ...


class _SqliteRows:
    """Lookups on a SQLite file through one reused read-only connection (a local file read:
    inline, never suspends)."""

    concurrent = False

    def __init__(self, path: str, columns: Sequence[str]) -> None:
        self._path = path
        self._select = f"SELECT {', '.join(columns)} FROM {TABLE_NAME} WHERE id "  # noqa: S608
        self._lock = threading.Lock()  # uvicorn calls from one thread; the lock is for others
        self._connection: Any = None
        self._identity: tuple[int, int] | None = None

    async def fetch(self, customer_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        import sqlite3

        where = "= ?" if len(customer_ids) == 1 else f"IN ({', '.join('?' * len(customer_ids))})"
        with self._lock:
            try:
                identity = file_identity(self._path)
                if self._connection is None or identity != self._identity:
                    self._close()
                    self._connection = connect_sqlite_read_only(self._path)
                    self._identity = identity
                rows: list[tuple[Any, ...]] = self._connection.execute(
                    self._select + where, tuple(customer_ids)
                ).fetchall()
                return rows
            except (OSError, sqlite3.Error) as err:
                self._close()
                raise StoreUnavailableError(_describe(err)) from err

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def aclose(self) -> None:
        with self._lock:
            self._close()


class _PostgresStatements:
    """The lookup statement for one id (every /predict: a scalar parameter is cheaper to adapt
    than an array) or many (one array parameter, however many ids)."""

    def __init__(self, columns: Sequence[str]) -> None:
        select = f"SELECT {', '.join(columns)} FROM {TABLE_NAME} WHERE id "  # noqa: S608
        self._one = select + "= %s"
        self._many = select + "= ANY(%s)"

    def lookup(self, customer_ids: Sequence[int]) -> tuple[str, tuple[Any, ...]]:
        if len(customer_ids) == 1:
            return self._one, (customer_ids[0],)
        return self._many, (list(customer_ids),)


class _PooledRows:
    """Lookups on pooled psycopg2 connections, inline (one request at a time: Lambda); a
    connection found dead is retried once."""

    concurrent = False

    def __init__(self, engine: Engine, columns: Sequence[str]) -> None:
        self._engine = engine
        self._statements = _PostgresStatements(columns)

    async def fetch(self, customer_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        sql, params = self._statements.lookup(customer_ids)
        dbapi_error = self._engine.dialect.loaded_dbapi.Error
        for attempt in (1, 2):
            try:
                # The raw pool raises the driver's own errors when it cannot connect.
                connection = self._engine.raw_connection()
            except (sa_exc.SQLAlchemyError, dbapi_error) as err:
                raise StoreUnavailableError(_describe(err)) from err
            try:
                cursor = connection.cursor()
                cursor.execute(sql, params)
                rows = list(cursor.fetchall())
                cursor.close()
                return rows
            except dbapi_error as err:
                gone = self._engine.dialect.is_disconnect(err, connection, None)
                connection.invalidate(err)
                if gone and attempt == 1:
                    log.info("pooled store connection was closed; reconnecting once")
                    continue
                raise StoreUnavailableError(_describe(err)) from err
            finally:
                connection.close()  # back to the pool (a no-op after invalidate)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        pass


class _LookupBatcher:
    """Coalesces concurrent single-customer lookups into multi-id queries (the DataLoader
    pattern).

    A lookup joins a queue. When fewer than `max_batches` queries are in flight a worker is
    started, and on its first turn of the event loop it takes everything queued by then (up to
    `max_ids` lookups) and runs one query for their distinct ids; when that query returns it
    takes what queued meanwhile, until the queue is empty. One worker at most is ever about to
    start, so lookups arriving together share it rather than each opening a query; with
    `max_batches` equal to the pool size no worker waits for a connection. Workers take lookups
    first come, first served.

    Each lookup gets the rows of its own id (none for an unknown id). A failed query fails
    every lookup of that batch with the query's error. A lookup cancelled while it waits is
    skipped (or its answer dropped): the batch goes on for the others.
    """

    def __init__(
        self,
        query: Callable[[Sequence[int]], Awaitable[list[RawRow]]],
        *,
        max_batches: int,
        max_ids: int = MAX_BATCH_IDS,
    ) -> None:
        self._query = query
        self._max_batches = max_batches
        self._max_ids = max_ids
        self._queue: deque[_Waiter] = deque()
        self._workers: set[asyncio.Task[None]] = set()  # strong references while they run
        self._workers_running = 0  # counted here: a task leaves the set one loop turn late
        self._worker_starting = False
        self.lookups_waiting = 0  # queued or in a query: how many requests wait for the store

    async def fetch(self, customer_id: int) -> list[RawRow]:
        answer: asyncio.Future[list[RawRow]] = asyncio.get_running_loop().create_future()
        self._queue.append((customer_id, answer))
        self._start_worker_if_needed()
        self.lookups_waiting += 1
        try:
            return await answer
        finally:
            self.lookups_waiting -= 1

    def _start_worker_if_needed(self) -> None:
        # A worker that has not run yet will take everything queued when it does: one suffices.
        if not self._queue or self._worker_starting:
            return
        if self._workers_running >= self._max_batches:
            return  # a running worker takes the queue when its query returns
        self._worker_starting = True
        self._workers_running += 1
        worker = asyncio.create_task(self._work())
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _work(self) -> None:
        try:
            self._worker_starting = False
            while batch := self._take_batch():
                self._start_worker_if_needed()  # more than `max_ids` queued: another query
                await self._run(batch)
        finally:
            self._workers_running -= 1

    def _take_batch(self) -> list[_Waiter]:
        batch: list[_Waiter] = []
        while self._queue and len(batch) < self._max_ids:
            waiter = self._queue.popleft()
            if not waiter[1].done():  # done: cancelled while it waited
                batch.append(waiter)
        return batch

    async def _run(self, batch: list[_Waiter]) -> None:
        try:
            rows = await self._query(list(dict.fromkeys(cid for cid, _ in batch)))
        except Exception as err:
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(_for_one_waiter(err))
            return
        except BaseException:  # the worker itself is cancelled: the store is closing
            for _, answer in batch:
                answer.cancel()
            raise
        rows_by_id: dict[int, list[RawRow]] = {}
        for row in rows:
            rows_by_id.setdefault(row[0], []).append(row)
        for customer_id, answer in batch:
            if not answer.done():
                answer.set_result(rows_by_id.get(customer_id, []))

    async def aclose(self) -> None:
        workers = list(self._workers)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        while self._queue:
            self._queue.popleft()[1].cancel()


def _for_one_waiter(err: Exception) -> Exception:
    # Each waiter raises an exception of its own (one object raised in many tasks would collect
    # all their tracebacks), with the same message and cause.
    if not isinstance(err, StoreUnavailableError):
        return err
    own = StoreUnavailableError(*err.args)
    own.__cause__ = err.__cause__
    return own


def _pool_size(engine: AsyncEngine) -> int:
    pool = engine.pool
    return pool.size() if isinstance(pool, QueuePool) else 1


class _AsyncPooledRows:
    """Lookups on pooled psycopg 3 asyncio connections: a lookup waiting for the database lets
    the event loop serve other requests. The pool hands each connection to one query at a
    time and queues the others first come, first served (at most `pool_size` in flight); a
    connection found dead is retried once, as in :class:`_PooledRows`. Single-customer lookups
    go through a :class:`_LookupBatcher` with one batch in flight per pooled connection."""

    concurrent = True

    def __init__(self, engine: AsyncEngine, columns: Sequence[str]) -> None:
        self._engine = engine
        self._statements = _PostgresStatements(columns)
        self._batcher = _LookupBatcher(self._query, max_batches=_pool_size(engine))
        # Statements sent to the database, retries included: what coalescing saves.
        self.queries_sent = 0

    async def fetch(self, customer_ids: Sequence[int]) -> list[RawRow]:
        if len(customer_ids) == 1:
            return await self._batcher.fetch(customer_ids[0])
        return await self._query(customer_ids)

    async def _query(self, customer_ids: Sequence[int]) -> list[RawRow]:
        import psycopg

        sql, params = self._statements.lookup(customer_ids)
        for attempt in (1, 2):
            try:
                async with self._engine.connect() as connection:
                    pooled = await connection.get_raw_connection()
                    driver = pooled.driver_connection
                    assert driver is not None  # a checked-out connection is open
                    try:
                        async with driver.cursor() as cursor:
                            self.queries_sent += 1
                            await cursor.execute(sql, params)
                            return await cursor.fetchall()
                    except psycopg.Error as err:
                        gone = driver.broken or driver.closed
                        await connection.invalidate(err)
                        if gone and attempt == 1:
                            log.info("pooled store connection was closed; reconnecting once")
                            continue
                        raise StoreUnavailableError(_describe(err)) from err
            except (sa_exc.SQLAlchemyError, psycopg.Error, TimeoutError) as err:
                # Checkout: the pool could not connect, or timed out waiting for a connection.
                raise StoreUnavailableError(_describe(err)) from err
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self._batcher.aclose()
        await self._engine.dispose()


class FeatureStore:
    """Looks up the served feature row of one or many customers."""

    def __init__(
        self,
        engine: Engine,
        feature_dtypes: Mapping[str, str],
        async_engine: AsyncEngine | None = None,
    ) -> None:
        """`engine` checks the schema and, without `async_engine`, serves the lookups;
        `async_engine` (PostgreSQL only) serves them when requests are handled concurrently."""
        self.engine = engine
        self.feature_dtypes = dict(feature_dtypes)
        self.feature_names = tuple(feature_dtypes)
        unknown = [name for name in self.feature_names if name not in customer_features.c]
        if unknown:
            raise StoreSchemaError(
                f"model features {unknown} are not columns of {TABLE_NAME} "
                f"(contract columns: {[c.name for c in customer_features.columns]})"
            )
        columns = ["id", *self.feature_names, "as_of", "last_loan_date", "run_id"]
        self._readers = [
            (name, _as_float if dtype == "float" else _as_int)
            for name, dtype in self.feature_dtypes.items()
        ]
        self.schema_verified = False
        sqlite_path = sqlite_file_path(engine.url) if engine.dialect.name == "sqlite" else None
        self._rows: _RowSource
        if sqlite_path is not None:
            self._rows = _SqliteRows(sqlite_path, columns)
        elif async_engine is not None:
            self._rows = _AsyncPooledRows(async_engine, columns)
        else:
            self._rows = _PooledRows(engine, columns)

    def verify_schema(self) -> None:
        """Check the live table has every model feature with a compatible type.

        Raises StoreSchemaError on a mismatch (a deployment error: fail start-up), and
        StoreUnavailableError when the database cannot be reached (a transient condition).
        """
        try:
            with self.engine.connect() as conn:
                inspector = inspect(conn)
                if not inspector.has_table(TABLE_NAME):
                    raise StoreSchemaError(f"the feature store has no table {TABLE_NAME}")
                live = {col["name"]: col["type"] for col in inspector.get_columns(TABLE_NAME)}
        except sa_exc.SQLAlchemyError as err:
            raise StoreUnavailableError(_describe(err)) from err
        missing = [n for n in (*self.feature_names, *BOOKKEEPING_COLUMNS) if n not in live]
        if missing:
            raise StoreSchemaError(
                f"{TABLE_NAME} lacks columns {missing} required by the model bundle; "
                f"it has {sorted(live)}"
            )
        wrong = [n for n, d in self.feature_dtypes.items() if not _dtype_matches(live[n], d)]
        if wrong:
            raise StoreSchemaError(
                f"{TABLE_NAME} columns {wrong} have types "
                f"{[str(live[n]) for n in wrong]} that do not match the bundle's dtypes"
            )
        self.schema_verified = True

    @property
    def concurrent(self) -> bool:
        """True when a lookup lets other requests run while it waits for the database."""
        return self._rows.concurrent

    async def _fetch(self, customer_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        if not self.schema_verified:
            if self._rows.concurrent:
                await asyncio.to_thread(self.verify_schema)  # rare: after a start-up outage
            else:
                self.verify_schema()
        return await self._rows.fetch(customer_ids)

    def _to_row(self, raw: Sequence[Any]) -> FeatureRow:
        customer_id = int(raw[0])
        n = len(self._readers)
        run_id = str(raw[3 + n])
        column = "id"
        try:
            values: dict[str, float | int | None] = {}
            for (column, read), value in zip(self._readers, raw[1 : 1 + n], strict=True):
                values[column] = None if value is None else read(value)
            column = "as_of"
            as_of = _as_date(raw[1 + n])
            column = "last_loan_date"
            last_loan_date = _as_date(raw[2 + n])
        except ValueError as err:
            raise CorruptRowError(customer_id, column, str(err), run_id) from None
        return FeatureRow(customer_id, values, as_of, last_loan_date, run_id)

    async def get(self, customer_id: int) -> FeatureRow | None:
        """The row of one customer, None if unknown; CorruptRowError if it is invalid."""
        rows = await self._fetch([customer_id])
        return self._to_row(rows[0]) if rows else None

    async def get_many(self, customer_ids: Iterable[int]) -> Lookup:
        ids = list(dict.fromkeys(customer_ids))
        lookup = Lookup()
        if not ids:
            return lookup
        for raw in await self._fetch(ids):
            try:
                row = self._to_row(raw)
            except CorruptRowError as err:
                lookup.corrupt[err.customer_id] = err
            else:
                lookup.rows[row.customer_id] = row
        return lookup

    async def ping(self) -> None:
        """Raise StoreUnavailableError unless the table can be queried right now."""
        await self._fetch([-1])

    async def aclose(self) -> None:
        await self._rows.aclose()
        self.engine.dispose()


def _describe(err: BaseException) -> str:
    # Driver messages can carry host names or SQL; log them (never with bound parameters), but
    # return only the class name to callers so that nothing internal reaches an HTTP response.
    log.warning("feature store error: %s", err)
    original = getattr(err, "orig", None)
    return type(original or err).__name__
