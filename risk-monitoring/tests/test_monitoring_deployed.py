"""The deployed run's daily window, and the feature-store age read from a real PostgreSQL the
way the deployed job reads it (docs/database-access.md)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import boto3
import numpy as np
import pytest
from monitoring_factories import LOG_DAY, draw_features, metadata_document, prediction_records
from monitoring_stores import materialise
from sqlalchemy.engine import make_url

from risk_monitoring.errors import InputError
from risk_monitoring.io.log_files import logs_for_window
from risk_monitoring.lambda_handler import handler

NOW = datetime(2026, 11, 26, 4, 30, tzinfo=UTC)  # the schedule: 04:30 UTC, the day after LOG_DAY


def test_previous_day_window_is_yesterdays_prefix_in_utc() -> None:
    assert logs_for_window(["s3://b/predictions/"], "previous_day", NOW) == [
        "s3://b/predictions/2026-11-25/"
    ]
    # 00:30 in Mexico City on the 26th is 06:30 UTC on the 26th: still the 25th's objects.
    local = datetime(2026, 11, 26, 0, 30, tzinfo=timezone(timedelta(hours=-6)))
    assert logs_for_window(["s3://b/p/", "s3://c/q/"], "previous_day", local) == [
        "s3://b/p/2026-11-25/",
        "s3://c/q/2026-11-25/",
    ]
    assert logs_for_window(["s3://b/p/x.log"], "all", NOW) == ["s3://b/p/x.log"]


@pytest.mark.parametrize(
    ("logs", "window", "match"),
    [
        (["s3://b/predictions/2026-11-25/a.gz"], "previous_day", "ending in '/'"),
        (["s3://b/predictions/"], "yesterday", "unknown logs_window"),
    ],
)
def test_bad_windows_are_input_errors(logs: list[str], window: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        logs_for_window(logs, window, NOW)


def put_day(s3: Any, day: date, records: list[dict]) -> None:
    body = gzip.compress(("\n".join(json.dumps(r) for r in records) + "\n").encode())
    key = f"predictions/{day.isoformat()}/stream-1-{day.isoformat()}-04-00-00-abc.jsonl.gz"
    s3.put_object(Bucket="features", Key=key, Body=body)


def test_scheduled_event_reads_yesterday_and_the_store_as_its_role(
    aws_reset: str, postgres_db_url: str, lambda_context: Any
) -> None:
    """Other days' objects are not read; the feature-store age comes from PostgreSQL, reached
    with the URL naming the role and no password. Where the test server offers TLS (the
    platform's fixture CA in the URL) the connection is the production one, store_auth=iam;
    test_monitoring_store checks that iam mode refuses a server without TLS."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="features")
    s3.create_bucket(Bucket="artifacts")
    rng = np.random.default_rng(7)
    put_day(s3, LOG_DAY.date(), prediction_records(draw_features(rng, 300), seed=7))
    for offset in (-1, 1):  # the day before and the current (partial) day are not read
        day = LOG_DAY + timedelta(days=offset)
        put_day(s3, day.date(), prediction_records(draw_features(rng, 50), seed=8, start=day))
    s3.put_object(
        Bucket="artifacts", Key="champion/metadata.json", Body=json.dumps(metadata_document())
    )
    row = dict.fromkeys(("nb_previous_loans", "age", "years_on_the_job", "flag_own_car"), 1)
    materialise(
        postgres_db_url,
        {5_000_000: row | {"avg_amount_loans_previous": 110.0}},
        date(2026, 11, 25),
        "run-1",
    )
    server = make_url(postgres_db_url)
    store_url = server.set(password=None).render_as_string(hide_password=False)
    response = handler(
        {
            "logs": "s3://features/predictions/",
            "logs_window": "previous_day",
            "metadata": "s3://artifacts/champion/metadata.json",
            "report_prefix": "s3://artifacts/monitoring/reports/",
            "online_store_url": store_url,
            "store_auth": "iam" if "sslrootcert" in server.query else "password",
            "now": NOW.isoformat(),
        },
        lambda_context,
    )
    assert response["predictions"] == 300
    key = response["report_uri"].removeprefix("s3://artifacts/")
    report = json.loads(s3.get_object(Bucket="artifacts", Key=key)["Body"].read())
    assert report["input"]["logs"] == ["s3://features/predictions/2026-11-25/"]
    assert [f.rsplit("/", 2)[1] for f in report["input"]["log_files"]] == ["2026-11-25"]
    staleness = report["checks"]["staleness"]["details"]
    assert staleness["feature_store_as_of_source"] == "online_store"
    assert staleness["feature_store_age_days"] == 1
