"""Reading the online feature store the way every service reaches it (docs/database-access.md).

``password`` (the default): the URL is used as given (SQLite, a local or test server).
``iam``: the URL names the database role and no password, e.g.
``postgresql+psycopg2://monitoring@<proxy endpoint>:5432/features``. Each new connection gets a
fresh RDS IAM token as its password (tokens live 15 minutes, so one minted at start-up would
expire during a long run), and TLS is verified (``sslmode=verify-full``) against certifi's CA
bundle, which holds the Amazon roots the RDS Proxy certificate chains to, unless the URL names
its own ``sslrootcert``. No password is read from Secrets Manager.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url

from risk_monitoring.errors import InputError
from risk_monitoring.io import aws

STORE_AUTH_MODES = ("password", "iam")


def iam_connect_params(url: URL, rds_client: Any) -> dict[str, str]:
    """The connection parameters an ``iam`` connection adds: a token and verified TLS."""
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


def _checked_iam_url(url: URL) -> URL:
    if url.get_backend_name() != "postgresql":
        raise InputError("store auth 'iam' needs a postgresql URL (RDS Proxy)")
    if not url.username or not url.host:
        raise InputError("store auth 'iam' needs the database role and host in the URL")
    if url.password:
        raise InputError("store auth 'iam' mints its own token: remove the password from the URL")
    return url


def create_store_engine(store_url: str, auth: str = "password") -> Engine:
    if auth not in STORE_AUTH_MODES:
        raise InputError(f"unknown store auth {auth!r}: expected one of {STORE_AUTH_MODES}")
    try:
        url = make_url(store_url)
    except Exception as error:  # SQLAlchemy raises ArgumentError and friends
        raise InputError(f"not a SQLAlchemy URL: {error}") from error
    # Bound parameters stay out of error messages and logs.
    engine = create_engine(url, hide_parameters=True)
    if auth == "iam":
        from botocore.exceptions import NoRegionError

        url = _checked_iam_url(url)
        try:
            rds = aws.client("rds")
        except NoRegionError as error:
            raise InputError("store auth 'iam' needs AWS_REGION to mint RDS tokens") from error

        @event.listens_for(engine, "do_connect")
        def _with_token(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
            cparams.update(iam_connect_params(url, rds))

    return engine


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def latest_as_of(engine: Engine) -> date | None:
    """Most recent as_of materialised in ``customer_features`` (None for an empty table)."""
    try:
        with engine.connect() as connection:
            value = connection.execute(text("SELECT MAX(as_of) FROM customer_features")).scalar()
    except Exception as error:  # any driver error means the store cannot be judged
        raise InputError(f"cannot read customer_features from the online store: {error}") from error
    finally:
        engine.dispose()
    return None if value is None else _as_date(value)
