"""Read-only access to the online feature store (docs/contracts/online-store.md).

Table ``customer_features``.

SQLite file by default, PostgreSQL in AWS. Every query uses bound parameters. Database errors of
any kind surface as :class:`StoreUnavailableError` (HTTP 503); the next request simply tries
again, so the service recovers by itself once the database is back.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Double,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy import types as sa_types
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

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


class StoreUnavailableError(Exception):
    """The feature store cannot be queried right now (down, unreachable, timing out)."""


class StoreSchemaError(Exception):
    """The store's table does not have the columns the model needs."""


@dataclass(frozen=True, slots=True)
class FeatureRow:
    customer_id: int
    features: dict[str, float | int | None]
    as_of: date
    last_loan_date: date
    run_id: str


def _sqlite_file_path(url: URL) -> str | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def _connect_sqlite_read_only(path: str) -> sqlite3.Connection:
    # Read-only URI mode: a missing file must read as "store unavailable", whereas the default
    # mode would silently create an empty database and answer 404 for every customer.
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=2.0)


def _file_identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _build_sqlite_engine(path: str) -> Engine:
    def connect() -> sqlite3.Connection:
        return _connect_sqlite_read_only(path)

    # The URL only names the file (the creator connects); FeatureStore reads it back.
    engine = create_engine(
        URL.create("sqlite", database=path),
        creator=connect,
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def remember_inode(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["inode"] = _file_identity(path)

    @event.listens_for(engine, "checkout")
    def check_same_file(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        # A pooled connection keeps reading the file it opened even after that file has been
        # removed or atomically replaced by a new materialisation. Comparing inodes (one stat
        # call) makes the pool reconnect, so we serve the current file or report it missing.
        try:
            identity = _file_identity(path)
        except OSError as err:
            raise sa_exc.DisconnectionError(f"feature store file {path} is gone") from err
        if record.info.get("inode") != identity:
            raise sa_exc.DisconnectionError(f"feature store file {path} was replaced")

    return engine


def _build_postgres_engine(
    url: URL, *, pool_size: int, connect_timeout: int, statement_timeout_ms: int
) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        pool_timeout=connect_timeout,
        # Stay under typical idle-connection reapers (RDS Proxy, NAT gateways: 350 s).
        pool_recycle=300,
        connect_args={
            "connect_timeout": connect_timeout,
            "options": f"-c statement_timeout={statement_timeout_ms}",
            "application_name": "inference-service",
        },
    )


def build_engine(
    url: str | URL,
    *,
    pool_size: int = 1,
    connect_timeout: int = 3,
    statement_timeout_ms: int = 2000,
) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = _sqlite_file_path(parsed)
        if path is None:
            raise ValueError("the SQLite feature store must be a file path (sqlite:///path/to.db)")
        return _build_sqlite_engine(path)
    if backend == "postgresql":
        return _build_postgres_engine(
            parsed,
            pool_size=pool_size,
            connect_timeout=connect_timeout,
            statement_timeout_ms=statement_timeout_ms,
        )
    raise ValueError(f"unsupported feature store backend {backend!r}: use sqlite or postgresql")


def _dtype_matches(column_type: Any, dtype: str) -> bool:
    if dtype == "int":
        return isinstance(column_type, sa_types.Integer)
    return isinstance(column_type, sa_types.Float | sa_types.Numeric | sa_types.Integer)


class _SqliteRowReader:
    """One-row lookups on a SQLite file through one reused read-only connection.

    Serves the hot path of a local server (`/predict`). A pool checkout and return cost more
    than the indexed lookup itself; a long-lived connection, with sqlite3's per-connection
    cache of prepared statements, does not. Same rules as the pool: the file's inode is
    compared on every call (one stat) and the connection reopened when the file was replaced,
    and a missing file or any SQLite error is StoreUnavailableError (the next call reconnects).
    """

    def __init__(self, path: str, sql: str) -> None:
        self._path = path
        self._sql = sql
        self._lock = threading.Lock()  # uvicorn calls from one thread; the lock is for others
        self._connection: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None

    def fetch(self, customer_id: int) -> tuple[Any, ...] | None:
        with self._lock:
            try:
                identity = _file_identity(self._path)
                if self._connection is None or identity != self._identity:
                    self._close()
                    self._connection = _connect_sqlite_read_only(self._path)
                    self._identity = identity
                row: tuple[Any, ...] | None = self._connection.execute(
                    self._sql, (customer_id,)
                ).fetchone()
                return row
            except (OSError, sqlite3.Error) as err:
                self._close()
                raise StoreUnavailableError(_describe(err)) from err

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            self._close()


class FeatureStore:
    """Looks up the served feature row of one or many customers."""

    def __init__(self, engine: Engine, feature_dtypes: Mapping[str, str]) -> None:
        self.engine = engine
        self.feature_dtypes = dict(feature_dtypes)
        self.feature_names = tuple(feature_dtypes)
        unknown = [name for name in self.feature_names if name not in customer_features.c]
        if unknown:
            raise StoreSchemaError(
                f"model features {unknown} are not columns of {TABLE_NAME} "
                f"(contract columns: {[c.name for c in customer_features.columns]})"
            )
        table = customer_features
        columns = [table.c.id, *(table.c[n] for n in self.feature_names)]
        columns += [table.c.as_of, table.c.last_loan_date, table.c.run_id]
        self._one = select(*columns).where(table.c.id == bindparam("customer_id"))
        self._many = select(*columns).where(table.c.id.in_(bindparam("ids", expanding=True)))
        self._float_features = {n for n, d in self.feature_dtypes.items() if d == "float"}
        self.schema_verified = False
        # On SQLite, single-customer lookups (every /predict of a local server) run the same
        # compiled statement through a _SqliteRowReader, skipping SQLAlchemy's per-statement
        # Connection/Result machinery and pool checkout (together ~5x the cost of the query).
        # PostgreSQL keeps the Core path: the network round trip dominates there, and the
        # pool's pre-ping and disconnect handling matter.
        dialect = engine.dialect
        self._sqlite_reader: _SqliteRowReader | None = None
        self._sqlite_converters: list[tuple[int, Callable[[Any], Any]]] = []
        sqlite_path = _sqlite_file_path(engine.url) if dialect.name == "sqlite" else None
        if sqlite_path is not None:
            sql = str(self._one.compile(dialect=dialect))
            self._sqlite_reader = _SqliteRowReader(sqlite_path, sql)
            # The column types' own result conversions (DATE text -> datetime.date).
            for i, column in enumerate(columns):
                impl = column.type.dialect_impl(dialect)
                if (convert := impl.result_processor(dialect, None)) is not None:
                    self._sqlite_converters.append((i, convert))

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

    def _ensure_verified(self) -> None:
        if not self.schema_verified:
            self.verify_schema()

    def _to_row(self, row: Sequence[Any]) -> FeatureRow:
        n = len(self.feature_names)
        values: dict[str, float | int | None] = {}
        for name, value in zip(self.feature_names, row[1 : 1 + n], strict=True):
            if value is not None:
                value = float(value) if name in self._float_features else int(value)
            values[name] = value
        return FeatureRow(
            customer_id=int(row[0]),
            features=values,
            as_of=row[1 + n],
            last_loan_date=row[2 + n],
            run_id=str(row[3 + n]),
        )

    def get(self, customer_id: int) -> FeatureRow | None:
        self._ensure_verified()
        if self._sqlite_reader is not None:
            return self._get_sqlite(self._sqlite_reader, customer_id)
        try:
            with self.engine.connect() as conn:
                row = conn.execute(self._one, {"customer_id": customer_id}).first()
        except sa_exc.SQLAlchemyError as err:
            raise StoreUnavailableError(_describe(err)) from err
        return None if row is None else self._to_row(row)

    def _get_sqlite(self, reader: _SqliteRowReader, customer_id: int) -> FeatureRow | None:
        row = reader.fetch(customer_id)
        if row is None:
            return None
        values = list(row)
        for i, convert in self._sqlite_converters:
            values[i] = convert(values[i])
        return self._to_row(values)

    def get_many(self, customer_ids: Iterable[int]) -> dict[int, FeatureRow]:
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return {}
        self._ensure_verified()
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(self._many, {"ids": ids}).all()
        except sa_exc.SQLAlchemyError as err:
            raise StoreUnavailableError(_describe(err)) from err
        return {r.customer_id: r for r in map(self._to_row, rows)}

    def ping(self) -> None:
        """Raise StoreUnavailableError unless the table can be queried right now."""
        self._ensure_verified()
        try:
            with self.engine.connect() as conn:
                conn.execute(self._one, {"customer_id": -1}).first()
        except sa_exc.SQLAlchemyError as err:
            raise StoreUnavailableError(_describe(err)) from err

    def close(self) -> None:
        if self._sqlite_reader is not None:
            self._sqlite_reader.close()
        self.engine.dispose()


def _describe(err: BaseException) -> str:
    # Driver messages can carry host names or SQL; log them, but return only the class name to
    # callers so that nothing internal reaches an HTTP response.
    log.warning("feature store error: %s", err)
    original = getattr(err, "orig", None)
    return type(original or err).__name__


def resolve_store_url(url: str, secret_arn: str | None) -> URL:
    """Return the store URL, with credentials from Secrets Manager when a secret is configured.

    The secret is the JSON document RDS writes for managed credentials: ``username`` and
    ``password``, optionally ``host``, ``port`` and ``dbname``, which override the URL's parts.
    """
    parsed = make_url(url)
    if not secret_arn:
        return parsed
    import json

    import boto3  # imported here: only deployments with a secret pay for boto3's import time

    client = boto3.client("secretsmanager")
    secret = json.loads(client.get_secret_value(SecretId=secret_arn)["SecretString"])
    if not isinstance(secret, dict) or "password" not in secret:
        raise ValueError(f"secret {secret_arn} must be a JSON object with a password field")
    overrides: dict[str, Any] = {"password": str(secret["password"])}
    if secret.get("username"):
        overrides["username"] = str(secret["username"])
    if secret.get("host"):
        overrides["host"] = str(secret["host"])
    if secret.get("port"):
        overrides["port"] = int(secret["port"])
    if secret.get("dbname"):
        overrides["database"] = str(secret["dbname"])
    return parsed.set(**overrides)
