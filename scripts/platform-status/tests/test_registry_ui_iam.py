"""`registry-ui --db-auth iam --via 127.0.0.1`: the way the UI reaches the registry in AWS.

Run against the session's TLS-only PostgreSQL with the roles db-bootstrap creates (the `mlflow`
role owns the `mlflow` database, as behind the RDS Proxy). The server does not check RDS IAM
tokens (docs/database-access.md), so what is verified here is the rest of the path: the token is
minted for the proxy name, port and role; TLS is verified against the *name* in the URL while the
connection goes to the tunnel's address.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from platform_status.errors import StatusError
from platform_status.registry_ui import iam_store_uri, ui_environment


def _tunnel_url(role_url: str, host: str) -> str:
    """The role's URL as an operator writes it: the proxy's name, the role, no password."""
    return make_url(role_url).set(host=host, password=None).render_as_string(hide_password=False)


def test_the_token_is_minted_for_the_proxy_and_the_role() -> None:
    rds = boto3.client("rds", region_name="mx-central-1")
    uri = iam_store_uri(
        "postgresql+psycopg2://mlflow@proxy.example.internal:5432/mlflow", rds, via="127.0.0.1"
    )
    url = make_url(uri)
    token = urlsplit("https://" + unquote(url.password or ""))
    assert token.netloc == "proxy.example.internal:5432"
    query = parse_qs(token.query)
    assert query["Action"] == ["connect"]
    assert query["DBUser"] == ["mlflow"]
    assert "mx-central-1/rds-db/aws4_request" in query["X-Amz-Credential"][0]
    assert url.query["sslmode"] == "verify-full"
    assert url.query["hostaddr"] == "127.0.0.1"
    assert url.query["sslrootcert"].endswith(".pem")  # certifi's bundle: the Amazon roots
    assert ui_environment(uri)["MLFLOW_BACKEND_STORE_URI"] == uri


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("sqlite:///registry.db", "needs postgresql"),
        ("postgresql+psycopg2://proxy:5432/mlflow", "needs postgresql"),
        ("postgresql+psycopg2://mlflow:secret@proxy:5432/mlflow", "remove the password"),
    ],
)
def test_urls_that_cannot_work_are_refused(uri: str, reason: str) -> None:
    with pytest.raises(StatusError, match=reason):
        iam_store_uri(uri, boto3.client("rds", region_name="us-east-1"))


def test_the_ui_url_reaches_the_registry_database_through_a_tunnel_as_mlflow_over_tls(
    postgres_role_url: Callable[..., str],
) -> None:
    rds = boto3.client("rds", region_name="us-east-1")
    role_url = postgres_role_url("mlflow")
    # "localhost" is the name on the server's certificate, as the proxy endpoint is on RDS's.
    uri = iam_store_uri(_tunnel_url(role_url, "localhost"), rds, via="127.0.0.1")
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT current_user, current_database(), ssl FROM pg_stat_ssl "
                    "WHERE pid = pg_backend_pid()"
                )
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("mlflow", make_url(role_url).database, True)

    # A name the certificate does not carry is refused even though the address answers.
    wrong = iam_store_uri(_tunnel_url(role_url, "proxy.example.internal"), rds, via="127.0.0.1")
    engine = create_engine(wrong)
    try:
        with pytest.raises(OperationalError, match=r"does not match|certificate"):
            engine.connect().close()
    finally:
        engine.dispose()
