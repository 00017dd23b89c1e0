"""The online feature store (docs/contracts/online-store.md): what it holds and since when.

Connected the way every service reaches it (docs/database-access.md): ``password`` uses the URL
as given (SQLite, a local server); ``iam`` takes a URL naming the read-only role and no password
(``postgresql+psycopg2://monitoring@<proxy endpoint>:5432/features``), mints an RDS IAM token per
new connection and verifies TLS against certifi's bundle unless the URL names ``sslrootcert``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url

from platform_status.errors import StatusError

STORE_AUTH_MODES = ("password", "iam")


@dataclass(frozen=True)
class StoreState:
    as_of: date | None
    run_ids: tuple[str, ...]  # one when a publication is whole; several means a mixed table
    rows: int


def _iam_params(url: URL, rds_client: Any) -> dict[str, str]:
    params = {
        "password": rds_client.generate_db_auth_token(
            DBHostname=url.host,
            Port=url.port or 5432,
            DBUsername=url.username,
            Region=rds_client.meta.region_name,
        ),
        "sslmode": "verify-full",
    }
    if "sslrootcert" not in url.query:
        import certifi

        params["sslrootcert"] = certifi.where()
    return params


def store_engine(store_url: str, auth: str = "password") -> Engine:
    if auth not in STORE_AUTH_MODES:
        raise StatusError(f"unknown store auth {auth!r}: expected one of {STORE_AUTH_MODES}")
    try:
        url = make_url(store_url)
    except Exception as error:  # SQLAlchemy raises ArgumentError and friends
        raise StatusError(f"not a SQLAlchemy URL: {store_url!r}") from error
    engine = create_engine(url, hide_parameters=True)
    if auth == "iam":
        if url.get_backend_name() != "postgresql" or not url.username or not url.host:
            raise StatusError("store auth 'iam' needs a postgresql URL naming the role and host")
        if url.password:
            raise StatusError("store auth 'iam' mints its own token: remove the URL's password")
        import boto3

        rds = boto3.client("rds")

        @event.listens_for(engine, "do_connect")
        def _with_token(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
            cparams.update(_iam_params(url, rds))

    return engine


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def read_store(store_url: str, auth: str = "password") -> StoreState:
    engine = store_engine(store_url, auth)
    try:
        with engine.connect() as connection:
            as_of, rows = connection.execute(
                text("SELECT MAX(as_of), COUNT(*) FROM customer_features")
            ).one()
            run_ids = connection.execute(
                text("SELECT DISTINCT run_id FROM customer_features ORDER BY run_id")
            ).scalars()
            found = tuple(str(run_id) for run_id in run_ids)
    except Exception as error:  # any driver error: the store cannot be judged
        safe = engine.url.render_as_string(hide_password=True)
        raise StatusError(f"cannot read customer_features at {safe}: {error}") from error
    finally:
        engine.dispose()
    return StoreState(
        as_of=None if as_of is None else _as_date(as_of), run_ids=found, rows=int(rows)
    )
