"""Where the bootstrap connects, as the master user, and how it verifies the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions

from db_bootstrap.errors import BootstrapError

MAINTENANCE_DATABASE = "postgres"


@dataclass(frozen=True)
class MasterCredentials:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Target:
    """libpq connection parameters of the master user (``dbname`` = maintenance database)."""

    params: dict[str, str] = field(repr=False)

    @classmethod
    def from_url(cls, url: str) -> Target:
        """A ``postgresql://`` URL (any ``postgresql+driver://`` spelling), TLS settings in its
        query (e.g. ``?sslmode=verify-full&sslrootcert=ca.pem``)."""
        parts = urlsplit(url)
        if not parts.scheme.startswith("postgres"):
            raise BootstrapError("--master-url must be a postgresql:// URL")
        libpq_url = urlunsplit(parts._replace(scheme="postgresql"))
        try:
            params = psycopg2.extensions.parse_dsn(libpq_url)
        except psycopg2.ProgrammingError as error:
            raise BootstrapError(f"--master-url is not a valid connection URL: {error}") from None
        params.setdefault("dbname", MAINTENANCE_DATABASE)
        return cls(params)

    @classmethod
    def from_master_secret(
        cls,
        credentials: MasterCredentials,
        host: str,
        port: int,
        sslrootcert: str,
        database: str = MAINTENANCE_DATABASE,
    ) -> Target:
        return cls(
            {
                "host": host,
                "port": str(port),
                "user": credentials.username,
                "password": credentials.password,
                "dbname": database,
                "sslmode": "verify-full",
                "sslrootcert": sslrootcert,
            }
        )

    @property
    def user(self) -> str:
        return self.params.get("user", "")

    @property
    def host(self) -> str:
        return self.params.get("host", "")

    @property
    def port(self) -> int:
        return int(self.params.get("port", "5432"))

    def describe(self, database: str | None = None) -> str:
        """Where and how, for messages; never the password."""
        tls = self.params.get("sslmode", "libpq default 'prefer'")
        return (
            f"{self.host or 'local socket'}:{self.port}/{database or self.params['dbname']} "
            f"as {self.user or '(default user)'} (sslmode {tls})"
        )

    def connect(self, database: str | None = None) -> Any:
        params = {**self.params, "connect_timeout": self.params.get("connect_timeout", "10")}
        if database is not None:
            params["dbname"] = database
        try:
            connection = psycopg2.connect(**params)
        except psycopg2.OperationalError as error:
            # libpq's message names host, user and the TLS problem, never the password.
            message = str(error).strip()
            raise BootstrapError(
                f"cannot connect to {self.describe(database)}: {message}"
            ) from None
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        return connection
