"""Store connections per docs/database-access.md: IAM token per connection, verified TLS."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import certifi
import pytest
from monitoring_stores import materialise
from sqlalchemy import event
from sqlalchemy.engine import make_url

from risk_monitoring.errors import InputError
from risk_monitoring.io.store import create_store_engine, iam_connect_params, latest_as_of

PROXY = "postgresql+psycopg2://monitoring@proxy.example.internal:5432/features"


def test_an_iam_connection_gets_a_token_for_its_role_and_verified_tls() -> None:
    rds = boto3.client("rds", region_name="eu-west-1")
    params = iam_connect_params(make_url(PROXY), rds)
    token = urlsplit("https://" + params["password"])
    assert token.netloc == "proxy.example.internal:5432"
    query = parse_qs(token.query)
    assert query["Action"] == ["connect"]
    assert query["DBUser"] == ["monitoring"]
    assert "eu-west-1/rds-db/aws4_request" in query["X-Amz-Credential"][0]
    assert "X-Amz-Signature" in query
    assert params["sslmode"] == "verify-full"
    assert params["sslrootcert"] == certifi.where()
    # A URL naming its own CA bundle keeps it.
    own = iam_connect_params(make_url(PROXY + "?sslrootcert=/etc/ca.pem"), rds)
    assert "sslrootcert" not in own


@pytest.mark.parametrize(
    ("url", "auth", "match"),
    [
        ("postgresql+psycopg2://monitoring:pw@proxy:5432/features", "iam", "remove the password"),
        ("postgresql+psycopg2://proxy:5432/features", "iam", "role and host"),
        ("sqlite:///store.db", "iam", "needs a postgresql URL"),
        (PROXY, "kerberos", "unknown store auth"),
    ],
)
def test_unusable_store_settings_are_input_errors(url: str, auth: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        create_store_engine(url, auth)


def test_iam_mode_needs_a_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(InputError, match="AWS_REGION"):
        create_store_engine(PROXY, "iam")


def test_password_mode_uses_the_url_as_given_and_hides_parameters(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    materialise(url, {}, date(2026, 11, 24), "run-1")
    engine = create_store_engine(url)
    assert engine.hide_parameters is True
    assert latest_as_of(engine) is None


def test_iam_mode_against_postgres_mints_a_token_per_connection_and_requires_tls(
    postgres_db_url: str,
) -> None:
    """The test server cannot check RDS tokens (docs/database-access.md); what it can check is
    that every connection carries a fresh token for its role and insists on verified TLS."""
    server = make_url(postgres_db_url)
    url = server.set(password=None).render_as_string(hide_password=False)
    engine = create_store_engine(url, "iam")
    seen: list[dict[str, Any]] = []

    @event.listens_for(engine, "do_connect")
    def _record(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.append(dict(cparams))

    # A server with the test CA: the connection succeeds and finds no store table in the new
    # database. Without TLS it is refused: verify-full never falls back to plain TCP.
    expected = "does not exist" if "sslrootcert" in server.query else "SSL"
    for _ in range(2):
        with pytest.raises(InputError, match=expected):
            latest_as_of(engine)
    assert len(seen) == 2
    for params in seen:
        assert params["sslmode"] == "verify-full"
        assert f"DBUser={server.username}" in params["password"]
