"""`feature-pipeline run ...`: the command-line entry point (Glue uses glue/job.py instead)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from pyspark.sql import SparkSession

from feature_pipeline.config import QualitySettings, SparkSettings
from feature_pipeline.errors import InputError
from feature_pipeline.outcome import EXIT_BAD_INPUT, RunFailedError, execute
from feature_pipeline.request import DEFAULT_RETAIN_RUNS, RunRequest
from feature_pipeline.spark_session import build_session
from feature_pipeline.store_access import STORE_AUTH_MODES, StoreAuth
from feature_pipeline_jvm.options import JvmSettings, java_options

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@app.callback()
def main() -> None:
    """Raw loans file -> quality-checked training set and online feature store."""


def _parse_day(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from error


def _store_auth(value: str) -> StoreAuth:
    for mode in STORE_AUTH_MODES:
        if value == mode:
            return mode
    raise typer.BadParameter(f"{value!r} is not one of {', '.join(STORE_AUTH_MODES)}")


def local_session(input_bytes: int | None) -> SparkSession:
    """The local session, its JVM tuned for this machine and the input's size."""
    return build_session(SparkSettings(), java_options=java_options(JvmSettings(), input_bytes))


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    outputs = report["outputs"]
    return {
        **{key: report[key] for key in ("run_id", "as_of", "status", "timings_seconds")},
        "rows": {
            key: report["quality"][key] for key in ("rows_in", "rows_accepted", "rows_quarantined")
        },
        "online_rows": report["online_store"]["rows"],
        "output": outputs["root"],
        "run": outputs["run"],
        "latest": outputs["latest"]["prefix"],
    }


@app.command("run")
def run_command(
    input_uri: Annotated[str, typer.Option("--input", help="Raw loans CSV: local path or s3://")],
    output_uri: Annotated[
        str, typer.Option("--output", help="Output root (runs + _LATEST): folder or s3:// prefix")
    ],
    online_store: Annotated[
        str,
        typer.Option(
            "--online-store", help="SQLAlchemy URL (sqlite:///... or postgresql+psycopg2://...)"
        ),
    ],
    as_of: Annotated[str, typer.Option("--as-of", help="Materialisation date T, YYYY-MM-DD")],
    run_id: Annotated[
        str | None,
        typer.Option("--run-id", help="Defaults to <as_of>-<hash of input and settings>"),
    ] = None,
    store_auth: Annotated[
        str, typer.Option("--store-auth", help="password (URL as given) or iam (RDS IAM token)")
    ] = "password",
    allow_shrink: Annotated[
        bool, typer.Option("--allow-shrink", help="Publish even if many live customers drop out")
    ] = False,
    retain_runs: Annotated[
        int, typer.Option("--retain-runs", min=1, help="Complete runs kept under the output")
    ] = DEFAULT_RETAIN_RUNS,
    max_quarantine_share: Annotated[
        float | None, typer.Option("--max-quarantine-share", min=0.0, max=1.0)
    ] = None,
    native_s3: Annotated[
        bool, typer.Option("--native-s3", help="Let Spark read/write s3:// itself (Glue)")
    ] = False,
) -> None:
    """Validate the raw file, write a run of the training set and refresh the online store."""
    overrides: dict[str, Any] = {}
    if max_quarantine_share is not None:
        overrides["max_quarantine_share"] = max_quarantine_share
    try:
        quality = QualitySettings(**overrides)
    except ValidationError as error:
        typer.echo(f"bad settings: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    try:
        request = RunRequest.from_uris(
            input_uri,
            output_uri,
            online_store,
            _parse_day(as_of),
            store_auth=_store_auth(store_auth),
            run_id=run_id,
            native_s3=native_s3,
            allow_shrink=allow_shrink,
            retain_runs=retain_runs,
        )
    except InputError as error:
        typer.echo(f"bad input: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    try:
        report = execute(request, quality, spark=local_session)
    except RunFailedError as failure:
        raise typer.Exit(failure.exit_code) from failure
    json.dump(_summary(report), sys.stdout, indent=2)
    sys.stdout.write("\n")
