"""The deployed run's inputs: a daily window over the prediction log prefix and store credentials
from Secrets Manager (moto server), against a real PostgreSQL online store."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta, timezone

import boto3
import numpy as np
import pytest
from monitoring_factories import LOG_DAY, draw_features, metadata_document, prediction_records
from monitoring_reference_features import materialise
from sqlalchemy.engine import make_url

from risk_monitoring.errors import InputError
from risk_monitoring.lambda_handler import handler
from risk_monitoring.sources import logs_for_window, redacted, store_url_with_secret

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
    assert logs_for_window(["s3://b/p/x.log"], None, NOW) == ["s3://b/p/x.log"]


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


def put_secret(name: str, value: object) -> str:
    client = boto3.client("secretsmanager")
    return str(client.create_secret(Name=name, SecretString=json.dumps(value))["ARN"])


def test_secret_credentials_are_filled_in_and_escaped(aws_reset: str) -> None:
    arn = put_secret("store", {"username": "monitor", "password": "p@ss/w:rd?", "host": "ignored"})
    url = "postgresql+psycopg2://db.internal:5432/features?sslmode=require"
    resolved = store_url_with_secret(url, arn)
    assert resolved is not None
    parsed = make_url(resolved)
    assert (parsed.username, parsed.password) == ("monitor", "p@ss/w:rd?")
    assert (parsed.host, parsed.port, parsed.database) == ("db.internal", 5432, "features")
    assert parsed.query == {"sslmode": "require"}
    assert "p@ss" not in redacted(resolved)
    assert store_url_with_secret(url, None) == url
    assert store_url_with_secret(None, arn) is None


def test_unusable_secrets_are_input_errors(aws_reset: str) -> None:
    arn = put_secret("half", {"username": "monitor"})
    with pytest.raises(InputError, match="has no password"):
        store_url_with_secret("postgresql+psycopg2://h/db", arn)
    with pytest.raises(InputError, match="cannot read the store secret"):
        store_url_with_secret("postgresql+psycopg2://h/db", "arn:aws:secretsmanager:x:1:secret:no")


def put_day(s3: object, day: date, records: list[dict]) -> None:
    body = gzip.compress(("\n".join(json.dumps(r) for r in records) + "\n").encode())
    s3.put_object(  # type: ignore[attr-defined]
        Bucket="features",
        Key=f"predictions/{day.isoformat()}/stream-1-{day.isoformat()}-04-00-00-abc.jsonl.gz",
        Body=body,
    )


def test_scheduled_event_reads_yesterday_and_the_store_through_the_secret(
    aws_reset: str, postgres_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The EventBridge input of the monitoring module: previous_day window, store URL without
    credentials + the store secret. Other days' objects are not read; the feature-store age
    comes from PostgreSQL, reached with the secret's credentials."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="features")
    s3.create_bucket(Bucket="artifacts")
    rng = np.random.default_rng(7)
    put_day(s3, LOG_DAY.date(), prediction_records(draw_features(rng, 300), seed=7))
    # The day before and the current (partial) day must be ignored.
    for offset in (-1, 1):
        day = LOG_DAY + timedelta(days=offset)
        put_day(s3, day.date(), prediction_records(draw_features(rng, 50), seed=8, start=day))
    s3.put_object(
        Bucket="artifacts",
        Key="models/champion/bundle/metadata.json",
        Body=json.dumps(metadata_document()),
    )
    row = {
        "nb_previous_loans": 3,
        "avg_amount_loans_previous": 110.0,
        "age": 40,
        "years_on_the_job": 5,
        "flag_own_car": 1,
        "last_loan_date": date(2026, 11, 1),
    }
    materialise(postgres_db_url, {5_000_000: row}, date(2026, 11, 25))
    server = make_url(postgres_db_url)
    # The trust-auth test server accepts any password; the user name must be a real role.
    arn = put_secret("rds-master", {"username": server.username, "password": "s3cr3t"})
    credential_free = server.set(username=None, password=None).render_as_string()

    response = handler(
        {
            "logs": "s3://features/predictions/",
            "logs_window": "previous_day",
            "metadata": "s3://artifacts/models/champion/bundle/metadata.json",
            "report_prefix": "s3://artifacts/monitoring/reports/",
            "online_store_url": credential_free,
            "store_secret_arn": arn,
            "now": NOW.isoformat(),
        },
        None,
    )

    assert response["predictions"] == 300
    key = response["report_uri"].removeprefix("s3://artifacts/")
    report = json.loads(s3.get_object(Bucket="artifacts", Key=key)["Body"].read())
    assert report["input"]["logs_window"] == "previous_day"
    assert report["input"]["logs"] == ["s3://features/predictions/2026-11-25/"]
    assert [f.rsplit("/", 2)[1] for f in report["input"]["log_files"]] == ["2026-11-25"]
    staleness = report["checks"]["staleness"]["details"]
    assert staleness["feature_store_as_of_source"] == "online_store"
    assert staleness["feature_store_as_of"] == "2026-11-25"
    assert staleness["feature_store_age_days"] == 1
    assert "s3cr3t" not in json.dumps(report)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert emf[0]["FeatureStoreAgeDays"] == 1.0


def test_a_day_without_objects_fails_the_run(aws_reset: str) -> None:
    """No traffic (or no delivery) yesterday: the run fails loudly (the runner's Errors alarm and
    the breaching feature-store-staleness alarm both fire) instead of reporting nothing."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="features")
    s3.put_object(Bucket="features", Key="meta.json", Body=json.dumps(metadata_document()))
    put_day(s3, NOW.date(), prediction_records(draw_features(np.random.default_rng(1), 10)))
    event = {
        "logs": "s3://features/predictions/",
        "logs_window": "previous_day",
        "metadata": "s3://features/meta.json",
        "now": NOW.isoformat(),
    }
    with pytest.raises(
        InputError, match="no log objects under s3://features/predictions/2026-11-25/"
    ):
        handler(event, None)
