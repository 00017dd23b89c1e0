"""AWS Glue entry point: maps Glue job arguments onto the same run() the CLI uses.

Glue passes arguments as `--input s3://... --output s3://... --online_store <url> [--as_of
YYYY-MM-DD] [--store_secret_arn ARN] [--run_id ID] [--max_quarantine_share 0.05]` (plus its own,
which are ignored). On Glue, awsglue.utils.getResolvedOptions parses them and Spark reads/writes
s3:// natively; anywhere else an argparse fallback with the same names is used, so the script can
be exercised locally.

- `--as_of` defaults to the run's date (UTC): the scheduled trigger materialises "today", while
  the retraining state machine passes its execution date explicitly.
- `--store_secret_arn`: the online-store URL in the job arguments carries no password; the
  credentials (`username`, `password`, as in an RDS-managed master secret) are read from Secrets
  Manager at start-up.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

REQUIRED = ("input", "output", "online_store")
OPTIONAL = ("as_of", "store_secret_arn", "run_id", "max_quarantine_share", "native_s3")


def _on_glue() -> bool:
    try:
        import awsglue.utils  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def _resolved_options(argv: Sequence[str]) -> dict[str, Any]:
    if not _on_glue():
        parser = argparse.ArgumentParser(prog="glue-job", allow_abbrev=False)
        for name in REQUIRED:
            parser.add_argument(f"--{name}", required=True)
        parser.add_argument("--as_of", default=None)
        parser.add_argument("--store_secret_arn", default=None)
        parser.add_argument("--run_id", default=None)
        parser.add_argument("--max_quarantine_share", type=float, default=None)
        parser.add_argument("--native_s3", choices=("true", "false"), default="false")
        known, _glue_own = parser.parse_known_args(list(argv[1:]))
        return vars(known)
    from awsglue.utils import getResolvedOptions

    present = [name for name in OPTIONAL if f"--{name}" in argv]
    options: dict[str, Any] = dict(getResolvedOptions(list(argv), [*REQUIRED, *present]))
    options.setdefault("native_s3", "true")  # on Glue, Spark has the s3:// filesystem
    for name in OPTIONAL:
        options.setdefault(name, None)
    return options


def resolve_as_of(value: str | None) -> date:
    """The materialisation date: the given YYYY-MM-DD, or the run's date (UTC) when absent."""
    if not value:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"--as_of {value!r} is not a YYYY-MM-DD date ({error})") from error


def store_url_with_secret(url: str, secret_arn: str | None) -> str:
    """The store URL with the username and password from a Secrets Manager secret filled in."""
    if not secret_arn:
        return url
    import boto3
    from sqlalchemy.engine import make_url

    secret = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    )
    missing = {"username", "password"} - secret.keys()
    if missing:
        raise ValueError(f"secret {secret_arn} has no {', '.join(sorted(missing))}")
    resolved = make_url(url).set(username=secret["username"], password=secret["password"])
    return resolved.render_as_string(hide_password=False)


def main(argv: Sequence[str] | None = None) -> int:
    import typer

    from feature_pipeline.cli import execute
    from feature_pipeline.config import QualitySettings
    from feature_pipeline.pipeline import RunRequest

    options = _resolved_options(sys.argv if argv is None else argv)
    overrides: dict[str, Any] = {}
    if options["max_quarantine_share"] is not None:
        overrides["max_quarantine_share"] = float(options["max_quarantine_share"])
    request = RunRequest(
        input_uri=options["input"],
        output_uri=options["output"],
        online_store_url=store_url_with_secret(
            options["online_store"], options["store_secret_arn"]
        ),
        as_of=resolve_as_of(options["as_of"]),
        run_id=options["run_id"],
        native_s3=str(options["native_s3"]).lower() == "true",
    )
    # On Glue the cluster's session must be used as is (its master and s3 filesystem come from
    # Glue); locally the pipeline builds its tuned local session.
    spark = None
    if _on_glue():
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
    try:
        report = execute(request, QualitySettings(**overrides), spark=spark)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    print(f"feature-pipeline run {report['run_id']} committed to {report['outputs']['root']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
