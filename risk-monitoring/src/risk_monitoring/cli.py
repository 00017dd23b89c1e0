"""``risk-monitor``: run every monitoring check once; the exit code tells CI what crossed a line."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.outputs import emit_metrics, write_reports
from risk_monitoring.results import EXIT_CODES, EXIT_CRASH, EXIT_INPUT_ERROR, EXIT_OK
from risk_monitoring.runner import MonitorInputs, run_monitoring

app = typer.Typer(add_completion=False, help=__doc__)


@app.callback()
def main() -> None:
    """Monitoring of the credit-risk model's serving: drift, skew, staleness, quality."""


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"--now {value!r} is not ISO-8601") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def run(
    logs: Annotated[
        list[str],
        typer.Option(
            "--logs",
            help="Prediction log file, directory or s3:// URI (prefix ending in '/'); repeatable. "
            "Plain or gzip.",
        ),
    ],
    metadata: Annotated[str, typer.Option(help="Serving bundle metadata.json (path or s3://).")],
    outcomes: Annotated[
        str | None, typer.Option(help="Delayed outcomes CSV (request_id or customer_id,as_of).")
    ] = None,
    online_store: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the online feature store (as_of age).")
    ] = None,
    raw_loans: Annotated[
        str | None, typer.Option(help="Raw loans CSV: skew check recomputes features from it.")
    ] = None,
    recompute_store: Annotated[
        str | None,
        typer.Option(help="Skew check: store already recomputed as of the served as_of (URL)."),
    ] = None,
    pipeline_command: Annotated[
        str, typer.Option(help="Feature pipeline console command used to recompute features.")
    ] = "feature-pipeline",
    now: Annotated[
        str | None, typer.Option(help="Evaluation time (ISO-8601); default: current UTC time.")
    ] = None,
    logs_window: Annotated[
        str,
        typer.Option(
            help="'all' (default): every --logs input; 'previous_day': only <prefix><yesterday>/ "
            "of each --logs prefix (UTC day before --now), the Firehose stream's daily layout."
        ),
    ] = "all",
    store_secret_arn: Annotated[
        str | None,
        typer.Option(
            help="Secrets Manager secret whose username/password are filled into the store URLs."
        ),
    ] = None,
    report_json: Annotated[str | None, typer.Option(help="Where to write the JSON report.")] = None,
    report_html: Annotated[str | None, typer.Option(help="Where to write the HTML report.")] = None,
    emf: Annotated[bool, typer.Option(help="Print CloudWatch EMF metric lines on stdout.")] = True,
) -> None:
    """Run all checks once. Exit 0 = no alert; see `risk-monitor exit-codes`."""
    settings = MonitorSettings()
    inputs = MonitorInputs(
        logs=logs,
        metadata=metadata,
        outcomes=outcomes,
        online_store_url=online_store,
        recompute_store_url=recompute_store,
        raw_loans=raw_loans,
        pipeline_command=pipeline_command,
        now=_parse_now(now),
        logs_window=logs_window,
        store_secret_arn=store_secret_arn,
    )
    try:
        result = run_monitoring(inputs, settings)
        write_reports(result, report_json, report_html)
    except InputError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from error
    if emf:
        emit_metrics(result, settings.metric_namespace, sys.stdout)
    for name, check in result.report["checks"].items():
        typer.echo(f"{check['status']:>7}  {name:<10} {check['summary']}", err=True)
    raise typer.Exit(result.exit_code)


@app.command("exit-codes")
def exit_codes() -> None:
    """List the exit codes."""
    typer.echo(f"{EXIT_OK}  no alert (warnings allowed)")
    typer.echo(f"{EXIT_CRASH}  unexpected error")
    typer.echo(f"{EXIT_INPUT_ERROR}  invalid input or usage")
    for name, code in sorted(EXIT_CODES.items(), key=lambda item: item[1]):
        typer.echo(f"{code}  alert: {name}")
