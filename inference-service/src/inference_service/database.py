"""Engines for the online feature store: a SQLite file locally, PostgreSQL through RDS Proxy in AWS.

Credentials follow the platform's one rule (DESIGN C3, docs/database-access.md):

* ``password`` (default): the URL is used as given (SQLite, a local PostgreSQL).
* ``iam``: the URL names the database role and no password
  (``postgresql+psycopg2://inference@<proxy endpoint>:5432/features``). Every *new* connection
  gets a fresh RDS IAM token, minted in SQLAlchemy's ``do_connect`` event with
  ``boto3.client("rds").generate_db_auth_token`` (a token lives 15 minutes; a pooled connection
  outlives it, which is fine: the token is checked at connect time only). TLS is forced to
  ``sslmode=verify-full`` against the URL's ``sslrootcert``, or else certifi's CA bundle, which
  holds the Amazon Trust Services roots that RDS Proxy's certificate chains to.

The client never sends startup ``options``: RDS Proxy refuses them, so ``statement_timeout`` is a
setting of the ``inference`` role (set by the database bootstrap), not of the connection.
"""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from inference_service import aws

if TYPE_CHECKING:  # the asyncio engine is the concurrent server's; Lambda never imports it
    from sqlalchemy.ext.asyncio import AsyncEngine

StoreAuth = Literal["password", "iam"]
APPLICATION_NAME = "inference-service"
# Stay under the idle-connection reapers in front of the database (RDS Proxy, NAT: 350 s).
POOL_RECYCLE_SECONDS = 300


class StoreConfigError(ValueError):
    """The store URL and authentication settings cannot work together."""


def sqlite_file_path(url: URL) -> str | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def connect_sqlite_read_only(path: str) -> sqlite3.Connection:
    # Read-only URI mode: a missing file must read as "store unavailable", whereas the default
    # mode would silently create an empty database and answer 404 for every customer.
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=2.0)


def file_identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _build_sqlite_engine(path: str) -> Engine:
    # The URL only names the file (the creator connects); FeatureStore reads it back.
    engine = create_engine(
        URL.create("sqlite", database=path),
        creator=lambda: connect_sqlite_read_only(path),
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=8,
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def remember_inode(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["inode"] = file_identity(path)

    @event.listens_for(engine, "checkout")
    def check_same_file(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        # A pooled connection keeps reading the file it opened even after that file has been
        # removed or atomically replaced by a new materialisation. Comparing inodes (one stat
        # call) makes the pool reconnect, so we serve the current file or report it missing.
        try:
            identity = file_identity(path)
        except OSError as err:
            raise sa_exc.DisconnectionError(f"feature store file {path} is gone") from err
        if record.info.get("inode") != identity:
            raise sa_exc.DisconnectionError(f"feature store file {path} was replaced")

    return engine


def _iam_connect_args(url: URL) -> dict[str, Any]:
    if url.password:
        raise StoreConfigError(
            "FEATURE_STORE_URL must not carry a password when FEATURE_STORE_AUTH=iam "
            "(the role authenticates with an IAM token)"
        )
    if not url.username or not url.host:
        raise StoreConfigError(
            "FEATURE_STORE_AUTH=iam needs a URL naming the role and the proxy endpoint, "
            "e.g. postgresql+psycopg2://inference@<proxy-endpoint>:5432/features"
        )
    args: dict[str, Any] = {"sslmode": "verify-full"}
    if "sslrootcert" not in url.query:
        import certifi

        args["sslrootcert"] = certifi.where()
    return args


def install_iam_token_hook(engine: Engine, url: URL) -> None:
    """Mint an RDS IAM token for every new connection of `engine` (host, port, role of `url`)."""
    client = aws.client("rds")  # boto3 is imported only by deployments in `iam` mode
    region = client.meta.region_name
    host, port, user = url.host, url.port or 5432, url.username

    @event.listens_for(engine, "do_connect")
    def provide_token(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["password"] = client.generate_db_auth_token(
            DBHostname=host, Port=port, DBUsername=user, Region=region
        )


def _postgres_engine_options(
    url: URL, *, auth: StoreAuth, pool_size: int, connect_timeout: int
) -> dict[str, Any]:
    connect_args: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        "application_name": APPLICATION_NAME,
    }
    if auth == "iam":
        connect_args.update(_iam_connect_args(url))
    return {
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_timeout": connect_timeout,
        "pool_recycle": POOL_RECYCLE_SECONDS,
        # Reads only: no transaction to open, and none to roll back when a connection goes
        # back to the pool (both would be a round trip per request).
        "isolation_level": "AUTOCOMMIT",
        # Errors and logs never carry the bound customer ids.
        "hide_parameters": True,
        "connect_args": connect_args,
    }


def _build_postgres_engine(
    url: URL, *, auth: StoreAuth, pool_size: int, connect_timeout: int
) -> Engine:
    engine = create_engine(
        url,
        **_postgres_engine_options(
            url, auth=auth, pool_size=pool_size, connect_timeout=connect_timeout
        ),
    )
    if auth == "iam":
        install_iam_token_hook(engine, url)
    return engine


def build_async_engine(
    url: str | URL, *, auth: StoreAuth = "password", pool_size: int, connect_timeout: int = 3
) -> AsyncEngine:
    """The same PostgreSQL connections on psycopg 3's asyncio driver, for a server answering
    requests concurrently (uvicorn): a lookup waits for its round trip without holding up the
    event loop, and `pool_size` lookups run at once, each on a connection of its own.

    Same role, TLS, token hook, pool rules and `hide_parameters` as :func:`build_engine`, whose
    URL it takes (whatever PostgreSQL driver it names). psycopg 3 would prepare a statement
    executed five times on the server: a named prepared statement pins the client's session to
    one database connection in RDS Proxy, so none is prepared (``prepare_threshold=None``); each
    lookup is one unnamed extended-protocol round trip, which the proxy multiplexes.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise StoreConfigError("the asyncio store engine is for PostgreSQL URLs only")
    from sqlalchemy.ext.asyncio import create_async_engine

    options = _postgres_engine_options(
        parsed, auth=auth, pool_size=pool_size, connect_timeout=connect_timeout
    )
    options["connect_args"]["prepare_threshold"] = None
    engine = create_async_engine(parsed.set(drivername="postgresql+psycopg"), **options)
    if auth == "iam":
        install_iam_token_hook(engine.sync_engine, parsed)
    return engine


def build_engine(
    url: str | URL,
    *,
    auth: StoreAuth = "password",
    pool_size: int = 1,
    connect_timeout: int = 3,
) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if auth == "iam":
            raise StoreConfigError("FEATURE_STORE_AUTH=iam needs a PostgreSQL store URL")
        path = sqlite_file_path(parsed)
        if path is None:
            raise StoreConfigError(
                "the SQLite feature store must be a file path (sqlite:///path/to.db)"
            )
        return _build_sqlite_engine(path)
    if backend == "postgresql":
        return _build_postgres_engine(
            parsed, auth=auth, pool_size=pool_size, connect_timeout=connect_timeout
        )
    raise StoreConfigError(
        f"unsupported feature store backend {backend!r}: use sqlite or postgresql"
    )
