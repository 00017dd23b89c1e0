"""PostgreSQL as the tests reach it: URLs with TLS parameters, server endpoints, databases.

The server itself (started per session, TLS only) is in :mod:`platform_testkit.postgres_server`.
It has a non-superuser ``rds_master`` role with CREATEROLE and CREATEDB, the powers of an RDS
master user, which is who runs ``db-bootstrap``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

SQLALCHEMY_SCHEME = "postgresql+psycopg2"
SUPERUSER = "postgres"
# Plays the RDS master user: not a superuser, but CREATEROLE and CREATEDB.
MASTER_USER = "rds_master"
SESSION_DATABASE = "platform_test"
# The one database where pg_hba asks for the role's password (SCRAM) instead of trusting it.
PASSWORD_DATABASE = "password_auth"  # noqa: S105 - a database name
HOST = "127.0.0.1"


class PostgresUnavailableError(RuntimeError):
    """The machine cannot run a throwaway server (binaries or an unprivileged user missing)."""


class PostgresStartupError(RuntimeError):
    """The binaries exist but the server did not come up; the message carries its log tail."""


# --- URLs ------------------------------------------------------------------------------------


def to_sqlalchemy_url(url: str) -> str:
    """Normalise ``postgres://`` / ``postgresql://`` / ``postgresql+driver://`` to psycopg2."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return urlunsplit(parts._replace(scheme=SQLALCHEMY_SCHEME))


def to_libpq_url(url: str) -> str:
    """The same URL in the form psycopg2/libpq accept (no SQLAlchemy driver suffix)."""
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


def with_database(url: str, database: str) -> str:
    """The same URL (credentials and query, e.g. TLS parameters, kept) naming another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@dataclass(frozen=True)
class Endpoint:
    """How to reach a server: address, who administers it, and the TLS parameters of a URL.

    ``query`` carries libpq parameters every URL gets (``sslmode``, ``sslrootcert``), so a
    test URL verifies the server exactly as a production client does.
    """

    host: str
    port: int
    admin_user: str
    admin_database: str
    master_user: str
    query: tuple[tuple[str, str], ...] = ()
    admin_password: str | None = field(default=None, repr=False)

    @property
    def ca_file(self) -> Path | None:
        value = dict(self.query).get("sslrootcert")
        return Path(value) if value else None

    def url(self, user: str, database: str, password: str | None = None) -> str:
        """SQLAlchemy URL (``postgresql+psycopg2://``) for ``user`` on ``database``."""
        credentials = quote(user, safe="")
        if password is not None:
            credentials += ":" + quote(password, safe="")
        return urlunsplit(
            (
                SQLALCHEMY_SCHEME,
                f"{credentials}@{self.host}:{self.port}",
                f"/{database}",
                urlencode(self.query, safe="/"),
                "",
            )
        )

    @property
    def admin_url(self) -> str:
        return self.url(self.admin_user, self.admin_database, self.admin_password)

    @property
    def master_url(self) -> str:
        """Where db-bootstrap connects (maintenance database ``postgres``)."""
        password = self.admin_password if self.master_user == self.admin_user else None
        return self.url(self.master_user, "postgres", password)


def endpoint_from_url(url: str) -> Endpoint:
    """An existing server (TEST_DATABASE_URL): its user administers it and runs db-bootstrap."""
    parts = urlsplit(to_sqlalchemy_url(url))
    if not parts.hostname or not parts.username:
        raise ValueError("TEST_DATABASE_URL must name a host and a user")
    return Endpoint(
        host=parts.hostname,
        port=parts.port or 5432,
        admin_user=unquote(parts.username),
        admin_database=parts.path.lstrip("/") or "postgres",
        master_user=unquote(parts.username),
        query=tuple(parse_qsl(parts.query)),
        admin_password=unquote(parts.password) if parts.password is not None else None,
    )


# --- databases -------------------------------------------------------------------------------


@contextlib.contextmanager
def _autocommit_cursor(admin_url: str) -> Iterator[Any]:
    """A cursor in autocommit mode (CREATE/DROP DATABASE cannot run in a transaction)."""
    import psycopg2

    connection = psycopg2.connect(to_libpq_url(admin_url))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def execute(admin_url: str, statement: Any, params: Sequence[object] | None = None) -> None:
    with _autocommit_cursor(admin_url) as cursor:
        cursor.execute(statement, params)


def create_database(admin_url: str, name: str) -> None:
    from psycopg2 import sql

    execute(admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(admin_url: str, name: str) -> None:
    """Drop ``name`` even if a test left connections open (they are terminated first)."""
    from psycopg2 import sql

    with _autocommit_cursor(admin_url) as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        modern = cursor.connection.server_version >= 130000
        force = sql.SQL(" WITH (FORCE)") if modern else sql.SQL("")
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(name), force))


# Database-level privileges a GRANT can name (aclexplode spells them this way).
_DATABASE_PRIVILEGES = frozenset({"CONNECT", "CREATE", "TEMPORARY"})


def copy_database(admin_url: str, source: str, name: str) -> None:
    """Create ``name`` as a copy of ``source``: its schemas, grants and default privileges
    (kept inside the database) plus its owner and database-level ACL (kept in pg_database,
    which CREATE DATABASE ... TEMPLATE does not copy). ``source`` must have no connections.
    """
    from psycopg2 import sql

    with _autocommit_cursor(admin_url) as cursor:
        cursor.execute(
            "SELECT pg_get_userbyid(datdba), datacl IS NULL FROM pg_database WHERE datname = %s",
            (source,),
        )
        row = cursor.fetchone()
        if row is None:
            raise LookupError(f"database {source!r} does not exist")
        owner, default_acl = row
        cursor.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(source), sql.Identifier(owner)
            )
        )
        if default_acl:
            return
        cursor.execute(
            "SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END, "
            "a.privilege_type FROM pg_database d, aclexplode(d.datacl) a "
            "WHERE d.datname = %s AND a.grantee <> d.datdba",
            (source,),
        )
        grants = cursor.fetchall()
        target = sql.Identifier(name)
        cursor.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(target))
        for grantee, privilege in grants:
            if privilege not in _DATABASE_PRIVILEGES:
                raise ValueError(f"unexpected database privilege {privilege!r}")
            cursor.execute(
                sql.SQL("GRANT {} ON DATABASE {} TO {}").format(
                    sql.SQL(privilege),
                    target,
                    sql.SQL("PUBLIC") if grantee is None else sql.Identifier(grantee),
                )
            )


def freeze_as_template(admin_url: str, name: str) -> None:
    """Mark ``name`` as a template nobody connects to, so copying it never meets a session."""
    from psycopg2 import sql

    execute(
        admin_url,
        sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
            sql.Identifier(name)
        ),
    )


def unique_database_name(prefix: str = "test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"
