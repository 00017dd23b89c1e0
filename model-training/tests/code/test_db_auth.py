"""RDS IAM authentication: a fresh token per new connection, TLS verification forced."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import certifi
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from model_training.db_auth import (
    iam_connect_params,
    install_iam_auth,
    rds_token,
    uninstall_iam_auth,
)


@pytest.fixture
def minted() -> Iterator[list[str]]:
    tokens: list[str] = []

    def source(host: str, port: int, user: str) -> str:
        tokens.append(rds_token(host, port, user))
        return tokens[-1]

    install_iam_auth(source)
    yield tokens
    uninstall_iam_auth()


def test_token_is_an_rds_connect_signature_for_the_url_user_and_host() -> None:
    params = iam_connect_params(
        {"host": "proxy.example", "port": 5432, "user": "mlflow"}, rds_token
    )
    token = urlparse(f"https://{params['password']}")
    query = parse_qs(token.query)
    assert token.hostname == "proxy.example"
    assert token.port == 5432
    assert query["Action"] == ["connect"]
    assert query["DBUser"] == ["mlflow"]
    assert "X-Amz-Signature" in query
    assert params["sslmode"] == "verify-full"
    assert params["sslrootcert"] == certifi.where()
    own = iam_connect_params({"host": "h", "user": "u", "sslrootcert": "/ca.pem"}, rds_token)
    assert own["sslrootcert"] == "/ca.pem"
    with pytest.raises(ValueError, match="user"):
        iam_connect_params({"host": "h"}, rds_token)


def test_every_new_connection_mints_a_token_and_requires_tls(
    postgres_url: str, minted: list[str]
) -> None:
    url = sa.engine.make_url(postgres_url)
    seen: list[dict[str, object]] = []

    def record(dialect: object, conn_rec: object, cargs: object, cparams: dict) -> None:  # type: ignore[type-arg]
        seen.append(dict(cparams))

    event.listen(Engine, "do_connect", record)
    try:
        # NullPool: every checkout is a new connection, as after a pool recycle.
        engine = sa.create_engine(url, poolclass=NullPool)
        for _ in range(2):
            outcome = _connect(engine)
            # With TLS the session is encrypted; without it (or with a certificate the bundle
            # cannot verify) the connection is refused: never a fall back to plain TCP.
            assert outcome == "tls" or "SSL" in outcome or "certificate" in outcome, outcome
        engine.dispose()
    finally:
        event.remove(Engine, "do_connect", record)
    assert len(minted) == 2
    assert [c["password"] for c in seen] == minted
    assert all(c["sslmode"] == "verify-full" for c in seen)


def _connect(engine: sa.Engine) -> str:
    try:
        with engine.connect() as connection:
            ssl = connection.execute(
                sa.text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            ).scalar()
    except sa.exc.OperationalError as error:
        return str(error)
    return "tls" if ssl else "plain"
