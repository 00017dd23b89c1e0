"""PostgreSQL the way production runs it for this service: TLS only, the roles of DESIGN C3.

A throwaway server (the test kit's binaries and unprivileged-user handling) with:

* TLS from a CA generated here; pg_hba accepts ``hostssl`` only, so a client without TLS is
  refused, and lets roles in without a password (the RDS Proxy checks the IAM token in AWS,
  which no emulator can; see the README's "what is not verified here");
* the roles and grants the bootstrap gives the feature store (``feature_pipeline`` owns the
  table, ``inference`` and ``monitoring`` may only read it, default privileges so grants
  survive the pipeline's table swap, per-role ``statement_timeout``).

It stands in for the shared test kit's TLS + roles fixture until that lands: ``conftest.py``'s
``tls_postgres`` fixture is the one place to switch. The benchmark imports it too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

SERVICE_ROLES = ("feature_pipeline", "inference", "monitoring", "mlflow")
STATEMENT_TIMEOUT = "2s"

# What the bootstrap runs in the store database (DESIGN C3), written out here by hand.
ROLES_SQL = [
    *(f"CREATE ROLE {role} LOGIN" for role in SERVICE_ROLES),
    f"ALTER ROLE inference SET statement_timeout = '{STATEMENT_TIMEOUT}'",
    "ALTER ROLE inference SET idle_in_transaction_session_timeout = '10s'",
]
DATABASE_SQL = [
    "REVOKE ALL ON SCHEMA public FROM PUBLIC",
    "GRANT USAGE, CREATE ON SCHEMA public TO feature_pipeline",
    "GRANT USAGE ON SCHEMA public TO inference, monitoring",
    "ALTER DEFAULT PRIVILEGES FOR ROLE feature_pipeline IN SCHEMA public "
    "GRANT SELECT ON TABLES TO inference, monitoring",
]
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
PG_HBA = """\
# TLS only: no 'host' line, so a plain TCP connection finds no entry and is refused.
local     all  all                trust
hostssl   all  all  127.0.0.1/32  trust
"""


@dataclass(frozen=True)
class TlsPostgres:
    host: str
    port: int
    ca_file: Path
    superuser: str

    def url(self, role: str, database: str, **query: str) -> str:
        """SQLAlchemy URL of `database` as `role`, verifying the server against the test CA."""
        params = {"sslmode": "verify-full", "sslrootcert": str(self.ca_file), **query}
        encoded = "&".join(f"{k}={quote(v, safe='/')}" for k, v in params.items())
        return f"postgresql+psycopg2://{role}@{self.host}:{self.port}/{database}?{encoded}"

    def admin_dsn(self, database: str = "postgres") -> str:
        return (
            f"host={self.host} port={self.port} user={self.superuser} dbname={database} "
            f"sslmode=verify-full sslrootcert={self.ca_file}"
        )

    def connect(self, database: str = "postgres", role: str | None = None) -> Any:
        import psycopg2

        dsn = self.admin_dsn(database)
        if role is not None:
            dsn = dsn.replace(f"user={self.superuser}", f"user={role}")
        connection = psycopg2.connect(dsn)
        connection.autocommit = True
        return connection


def _write_certificates(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for `host` (and localhost), as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("inference-service test CA"))
        .issuer_name(name("inference-service test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(host))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(host))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = (directory / n for n in ("ca.crt", "server.crt", "server.key"))
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(cert.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


@contextlib.contextmanager
def running_tls_postgres(host: str = "127.0.0.1") -> Iterator[TlsPostgres]:
    """Start the server (test kit binaries; unprivileged under root), yield it, remove it."""
    from platform_testkit import postgres

    run_as = postgres.choose_run_as()
    server = postgres.PostgresServer(
        bindir=postgres.find_bindir(), run_as=run_as, root=postgres.temp_root(run_as)
    )
    try:
        server.initdb()
        data = server.data_dir
        ca_file, cert_file, key_file = _write_certificates(server.base_dir, host)
        for source in (cert_file, key_file):
            target = data / source.name
            target.write_bytes(source.read_bytes())
            os.chmod(target, 0o600)  # postgres refuses a key others can read
            if run_as.uid is not None and run_as.gid is not None:
                os.chown(target, run_as.uid, run_as.gid)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
        (data / "pg_hba.conf").write_text(PG_HBA)
        server.start()
        tls = TlsPostgres(host, server.port, ca_file, postgres.SUPERUSER)
        admin = tls.connect()
        with admin.cursor() as cursor:
            for statement in ROLES_SQL:
                cursor.execute(statement)
        admin.close()
        yield tls
    finally:
        server.close()


Row = Sequence[Any]


def create_store_database(
    server: TlsPostgres, database: str, rows: Iterable[Row], *, page_size: int = 1000
) -> None:
    """A store database as the bootstrap and the pipeline leave it: the table owned by
    `feature_pipeline`, readable by `inference` through default privileges."""
    from psycopg2 import sql
    from psycopg2.extras import execute_values

    admin = server.connect()
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    admin.close()
    admin = server.connect(database)
    with admin.cursor() as cursor:
        for statement in DATABASE_SQL:
            cursor.execute(statement)
    admin.close()
    pipeline = server.connect(database, role="feature_pipeline")
    with pipeline.cursor() as cursor:
        cursor.execute(STORE_DDL)
        execute_values(
            cursor, "INSERT INTO customer_features VALUES %s", list(rows), page_size=page_size
        )
    pipeline.close()


def drop_database(server: TlsPostgres, database: str) -> None:
    from psycopg2 import sql

    admin = server.connect()
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
    admin.close()
