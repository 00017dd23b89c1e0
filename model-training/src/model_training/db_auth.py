"""RDS IAM authentication for MLflow's PostgreSQL backend (DESIGN C3).

With `MODEL_TRAINING_DB_AUTH=iam` the tracking URL names the role and no password
(`postgresql+psycopg2://mlflow@<proxy>:5432/mlflow`). A SQLAlchemy `do_connect` listener on the
`Engine` class - installed before MLflow creates its engine, so it covers that engine too - mints
a fresh token for every new connection (tokens live 15 minutes; pooled connections outlive them)
and forces TLS with certificate and host verification: `sslmode=verify-full`, with the CA bundle
of `certifi` unless the URL names its own `sslrootcert`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import certifi
from sqlalchemy import event
from sqlalchemy.engine import Engine

from model_training import aws

log = logging.getLogger(__name__)

TokenSource = Callable[[str, int, str], str]


def rds_token(host: str, port: int, user: str) -> str:
    client = aws.client("rds")
    token: str = client.generate_db_auth_token(
        DBHostname=host, Port=port, DBUsername=user, Region=client.meta.region_name
    )
    return token


def iam_connect_params(cparams: dict[str, Any], token_source: TokenSource) -> dict[str, Any]:
    """The psycopg2 connect arguments of one new connection, with a fresh token and TLS."""
    host, user = cparams.get("host"), cparams.get("user")
    if not host or not user:
        raise ValueError("IAM database auth needs a host and a user name in the tracking URL")
    port = int(cparams.get("port") or 5432)
    return {
        **cparams,
        "password": token_source(str(host), port, str(user)),
        "sslmode": "verify-full",
        "sslrootcert": cparams.get("sslrootcert") or certifi.where(),
    }


_installed: list[Callable[..., None]] = []


def install_iam_auth(token_source: TokenSource = rds_token) -> None:
    """Mint a token per new PostgreSQL connection of every engine in this process (idempotent)."""
    if _installed:
        return

    def on_connect(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        if dialect.name == "postgresql":
            cparams.update(iam_connect_params(cparams, token_source))

    event.listen(Engine, "do_connect", on_connect)
    _installed.append(on_connect)
    log.info("RDS IAM authentication enabled for PostgreSQL connections")


def uninstall_iam_auth() -> None:
    while _installed:
        event.remove(Engine, "do_connect", _installed.pop())
