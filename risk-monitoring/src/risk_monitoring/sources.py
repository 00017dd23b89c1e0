"""Inputs of a deployed run: one day's prefix of the prediction log, store credentials.

- ``logs_window = "previous_day"`` turns each log prefix ``s3://bucket/predictions/`` into
  ``s3://bucket/predictions/<yesterday, UTC>/``: the layout the Firehose stream of the
  ``monitoring`` Terraform module writes (``predictions/!{timestamp:yyyy-MM-dd}/``), so a daily
  schedule reads exactly the previous day's objects.
- ``store_secret_arn``: the store URLs in the event/CLI carry host, database and TLS only; the
  ``username`` and ``password`` (as in an RDS-managed master secret) are read from Secrets
  Manager at start-up, through boto3 (which honours ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from risk_monitoring.errors import InputError

LOG_WINDOWS = ("all", "previous_day")


def logs_for_window(logs: list[str], window: str | None, now: datetime) -> list[str]:
    """The log inputs a run with this window reads (``all``/None: the inputs unchanged)."""
    if window in (None, "", "all"):
        return list(logs)
    if window != "previous_day":
        expected = ", ".join(LOG_WINDOWS)
        raise InputError(f"unknown logs_window {window!r}: expected one of {expected}")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    day = (now.astimezone(UTC).date() - timedelta(days=1)).isoformat()
    resolved = []
    for uri in logs:
        if not uri.endswith("/"):
            raise InputError(f"logs_window={window} needs log prefixes ending in '/', got {uri}")
        resolved.append(f"{uri}{day}/")
    return resolved


def store_url_with_secret(url: str | None, secret_arn: str | None) -> str | None:
    """``url`` with the username and password of a Secrets Manager secret filled in."""
    if not url or not secret_arn:
        return url
    import boto3  # deferred: runs without a secret never pay for boto3's import
    from sqlalchemy.engine import make_url

    try:
        payload = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)
        secret = json.loads(payload["SecretString"])
    except Exception as error:  # botocore raises many types; all mean "no credentials"
        raise InputError(f"cannot read the store secret {secret_arn}: {error}") from error
    if not isinstance(secret, dict):
        raise InputError(f"store secret {secret_arn} is not a JSON object")
    missing = {"username", "password"} - set(secret)
    if missing:
        raise InputError(f"store secret {secret_arn} has no {', '.join(sorted(missing))}")
    try:
        parsed = make_url(url)
    except Exception as error:
        raise InputError(f"not a SQLAlchemy URL: {error}") from error
    resolved = parsed.set(username=secret["username"], password=secret["password"])
    return resolved.render_as_string(hide_password=False)


def redacted(url: str) -> str:
    """A store URL safe for logs and reports (password masked)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL: nothing to mask
        return url
