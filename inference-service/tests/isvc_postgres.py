"""PostgreSQL the way production runs it for this service, from the shared test kit.

The kit's server accepts TLS only (certificate from a CA made for the session) and has the roles,
databases and grants of DESIGN C3, created by running ``db-bootstrap`` itself: ``feature_pipeline``
owns the store tables, ``inference`` and ``monitoring`` may only read them (default privileges),
``inference`` has the bootstrap's ``statement_timeout``. It lets the roles in over TLS without a
password, as RDS Proxy does after checking the IAM token (which no emulator can check).

Here: a store database (a copy of the bootstrapped ``features``) whose table the pipeline's role
creates and fills, and the admin operations the outage tests need. The benchmark uses it too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from platform_testkit import postgres
from platform_testkit.roles import ServiceDatabases

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
Row = Sequence[Any]


@dataclass(frozen=True)
class StoreServer:
    """The bootstrapped server, seen from this service's tests."""

    databases: ServiceDatabases

    @property
    def host(self) -> str:
        return self.databases.endpoint.host

    @property
    def port(self) -> int:
        return self.databases.endpoint.port

    def url(self, role: str, database: str, **query: str) -> str:
        """SQLAlchemy URL of `database` as `role`, verifying the server against the test CA
        (the kit's TLS parameters; `query` overrides or adds libpq parameters)."""
        base = self.databases.endpoint.url(role, database)
        if not query:
            return base
        params = {**dict(self.databases.endpoint.query), **query}
        return base.split("?", 1)[0] + "?" + urlencode(params, safe="/")

    def admin(self, statement: str, params: Sequence[object] | None = None) -> None:
        """Run one statement as the server's administrator (autocommit)."""
        postgres.execute(self.databases.endpoint.admin_url, statement, params)

    def create_store(self, rows: Iterable[Row], *, page_size: int = 1000) -> str:
        """A store database as the bootstrap and the pipeline leave it; returns its name."""
        name = self.databases.copy("features")
        import psycopg2
        from psycopg2.extras import execute_values

        dsn = postgres.to_libpq_url(self.url("feature_pipeline", name))
        connection = psycopg2.connect(dsn)
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(STORE_DDL)
                execute_values(
                    cursor,
                    "INSERT INTO customer_features VALUES %s",
                    list(rows),
                    page_size=page_size,
                )
        finally:
            connection.close()
        return name

    def drop(self, database: str) -> None:
        self.databases.drop(database)

    def terminate_backends(self, database: str) -> None:
        self.admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )

    def allow_connections(self, database: str, allowed: bool) -> None:
        self.admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')


@contextlib.contextmanager
def running_store_server() -> Iterator[StoreServer]:
    """A server of its own, bootstrapped (outside pytest: the benchmark)."""
    from platform_testkit import postgres_server, roles

    with postgres_server.running_postgres_server() as server:
        yield StoreServer(roles.bootstrap_service_databases(server.endpoint))
