"""`feature-pipeline run ...`: the command-line entry point (Glue uses glue/job.py instead)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from pyspark.sql import SparkSession

from feature_pipeline import class_archive
from feature_pipeline.config import QualitySettings, SparkSettings
from feature_pipeline.errors import InputError, OnlineStoreError
from feature_pipeline.expectations import ExpectationResult, render
from feature_pipeline.pipeline import PipelineRunError, RunRequest, run

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

EXIT_DATA_QUALITY = 1
EXIT_BAD_INPUT = 2
EXIT_ONLINE_STORE = 3


@app.callback()
def main() -> None:
    """Raw loans file -> quality-checked training set and online feature store."""


def _parse_day(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from error


def _print_failure(report: dict[str, Any]) -> None:
    quality = report.get("quality")
    if quality:
        typer.echo(
            f"rows in {quality['rows_in']}: accepted {quality['rows_accepted']}, "
            f"quarantined {quality['rows_quarantined']} {quality['violations_by_rule']}",
            err=True,
        )
    results = [ExpectationResult(**item) for item in report.get("expectations", [])]
    if results:
        typer.echo(render(results), err=True)
    typer.echo(f"run failed: {report.get('error')}; nothing was committed", err=True)


def execute(
    request: RunRequest, quality: QualitySettings, spark: SparkSession | None = None
) -> dict[str, Any]:
    """Run and translate failures into exit codes; shared by the CLI and the Glue script."""
    try:
        report = run(request, quality_settings=quality, spark=spark)
    except PipelineRunError as failure:
        _print_failure(failure.report)
        code = EXIT_DATA_QUALITY if "expectations" in failure.report else EXIT_BAD_INPUT
        if isinstance(failure.__cause__, InputError):
            code = EXIT_BAD_INPUT
        raise typer.Exit(code) from failure
    except InputError as error:
        typer.echo(f"bad input: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    except OnlineStoreError as error:
        typer.echo(f"online store: {error}; training outputs were not committed", err=True)
        raise typer.Exit(EXIT_ONLINE_STORE) from error
    return report


@app.command("run")
def run_command(
    input_uri: Annotated[str, typer.Option("--input", help="Raw loans CSV: local path or s3://")],
    output_uri: Annotated[str, typer.Option("--output", help="Output directory or s3:// prefix")],
    online_store: Annotated[
        str,
        typer.Option(
            "--online-store", help="SQLAlchemy URL (sqlite:///... or postgresql+psycopg2://...)"
        ),
    ],
    as_of: Annotated[str, typer.Option("--as-of", help="Materialisation date T, YYYY-MM-DD")],
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Defaults to <as_of>-<input hash prefix>")
    ] = None,
    max_quarantine_share: Annotated[
        float | None, typer.Option("--max-quarantine-share", min=0.0, max=1.0)
    ] = None,
    native_s3: Annotated[
        bool, typer.Option("--native-s3", help="Let Spark read/write s3:// itself (Glue)")
    ] = False,
) -> None:
    """Validate the raw file, build the training set and refresh the online feature store."""
    overrides: dict[str, Any] = {}
    if max_quarantine_share is not None:
        overrides["max_quarantine_share"] = max_quarantine_share
    try:
        quality = QualitySettings(**overrides)
    except ValidationError as error:
        typer.echo(f"bad settings: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    request = RunRequest(
        input_uri=input_uri,
        output_uri=output_uri,
        online_store_url=online_store,
        as_of=_parse_day(as_of),
        run_id=run_id,
        native_s3=native_s3,
    )
    report = execute(request, quality)
    summary: dict[str, Any] = {
        key: report[key]
        for key in ("run_id", "as_of", "status", "timings_seconds")
        if key in report
    }
    summary["rows"] = {
        key: report["quality"][key] for key in ("rows_in", "rows_accepted", "rows_quarantined")
    }
    summary["output"] = report["outputs"]["root"]
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")


@app.command("build-class-archive")
def build_class_archive_command(
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if it exists")] = False,
) -> None:
    """Build this machine's JVM class-data-sharing archive (once; runs start faster with it)."""
    try:
        path = class_archive.build(SparkSettings(), force=force)
    except (RuntimeError, OSError) as error:  # no java, a failed dump, an unwritable cache dir
        typer.echo(f"class archive not built: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{path} ({path.stat().st_size / 2**20:.0f} MiB)")
