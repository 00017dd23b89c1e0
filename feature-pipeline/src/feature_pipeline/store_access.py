"""How the pipeline reaches the online store database (docs/database-access.md).

The pipeline connects as the database role `feature_pipeline`, which owns the store table.
Two modes:

* `password` (default): the URL is used as given (SQLite, local runs, the test database).
* `iam` (AWS, through the RDS Proxy): the URL names the role and no password; every new
  connection gets a fresh RDS IAM token (`generate_db_auth_token`, valid 15 minutes) in a
  SQLAlchemy `do_connect` hook, and TLS is verified (`sslmode=verify-full`) against the CA
  bundle of certifi unless the URL names its own `sslrootcert`.

Engines never log bound parameters, and a URL is only ever shown with its password masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from feature_pipeline import aws
from feature_pipeline.errors import InputError

StoreAuth = Literal["password", "iam"]
STORE_AUTH_MODES: tuple[StoreAuth, ...] = ("password", "iam")
DEFAULT_POSTGRES_PORT = 5432


@dataclass(frozen=True)
class StoreTarget:
    url: str
    auth: StoreAuth = "password"

    @property
    def redacted_url(self) -> str:
        return redact(self.url)


def redact(url: str) -> str:
    """The URL with any password masked (safe for reports and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable store URL>"


def check_target(target: StoreTarget) -> None:
    """Refuse a store setting that cannot work, before any work is done."""
    if not target.url.strip():
        raise InputError("online store URL must not be empty")
    if target.auth not in STORE_AUTH_MODES:
        raise InputError(f"store auth must be one of {', '.join(STORE_AUTH_MODES)}")
    try:
        url = make_url(target.url)
    except Exception as error:
        raise InputError(f"online store URL is not a database URL: {redact(target.url)}") from error
    if target.auth == "iam":
        if url.get_backend_name() != "postgresql":
            raise InputError("store auth 'iam' needs a postgresql URL (the RDS Proxy)")
        if url.password:
            raise InputError("with store auth 'iam' the URL must not carry a password")
        if not (url.host and url.username):
            raise InputError("with store auth 'iam' the URL must name the host and the role")


def _mint_token(url: URL, rds: Any, dialect: Any, record: Any, cargs: Any, cparams: Any) -> None:
    cparams["password"] = rds.generate_db_auth_token(
        DBHostname=url.host, Port=url.port or DEFAULT_POSTGRES_PORT, DBUsername=url.username
    )
    cparams["sslmode"] = "verify-full"
    if "sslrootcert" not in url.query:
        import certifi

        cparams["sslrootcert"] = certifi.where()


def store_engine(target: StoreTarget) -> Engine:
    """An engine for one publication: no pool (a few long connections), no logged parameters."""
    check_target(target)
    url = make_url(target.url)
    engine = create_engine(url, hide_parameters=True, poolclass=NullPool)
    if target.auth == "iam":
        event.listen(engine, "do_connect", partial(_mint_token, url, aws.client("rds")))
    return engine
