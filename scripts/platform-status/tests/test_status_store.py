"""The store read the way `status` reads it in AWS: as the read-only `monitoring` role, with an
RDS IAM token per connection and TLS verified, on the testkit's TLS PostgreSQL (which does not
check the token itself: docs/database-access.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from platform_status.errors import StatusError
from platform_status.store import read_store

CREATE = """
CREATE TABLE customer_features (
  id BIGINT PRIMARY KEY, nb_previous_loans INTEGER NOT NULL, avg_amount_loans_previous DOUBLE
  PRECISION, age INTEGER, years_on_the_job INTEGER, flag_own_car INTEGER NOT NULL,
  as_of DATE NOT NULL, last_loan_date DATE NOT NULL, run_id TEXT NOT NULL)
"""


def test_the_monitoring_role_reads_the_store_with_an_iam_token_over_tls(
    postgres_role_url: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    # The table as the pipeline publishes it: created by its owner, readable by monitoring.
    owner = create_engine(postgres_role_url("feature_pipeline"))
    with owner.begin() as connection:
        connection.execute(text(CREATE))
        connection.execute(
            text(
                "INSERT INTO customer_features VALUES "
                "(1, 2, 10.5, 40, 3, 1, '2021-01-01', '2020-12-01', '20210101-aa'),"
                "(2, 0, NULL, 30, NULL, 0, '2021-01-01', '2020-11-01', '20210101-aa')"
            )
        )
    owner.dispose()
    # "localhost" is the certificate's name (as the proxy endpoint is RDS's); no password.
    url = make_url(postgres_role_url("monitoring")).set(host="localhost", password=None)
    state = read_store(url.render_as_string(hide_password=False), auth="iam")
    assert state.as_of == date(2021, 1, 1)
    assert state.run_ids == ("20210101-aa",)
    assert state.rows == 2


def test_iam_mode_refuses_a_url_with_a_password_or_without_a_role() -> None:
    with pytest.raises(StatusError, match="remove the URL's password"):
        read_store("postgresql+psycopg2://monitoring:secret@proxy:5432/features", auth="iam")
    with pytest.raises(StatusError, match="naming the role and host"):
        read_store("sqlite:///store.db", auth="iam")
