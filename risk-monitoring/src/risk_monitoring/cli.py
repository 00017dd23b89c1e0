"""``risk-monitor``: run the monitoring checks once, or turn repayments into delayed labels; the
exit code tells CI and orchestrators what crossed a line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

import typer

from risk_monitoring import outputs
from risk_monitoring.checks.result import EXIT_CODES, EXIT_CRASH, EXIT_INPUT_ERROR, EXIT_OK
from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.metrics import publish
from risk_monitoring.outcomes import OutcomesInputs, run_outcomes
from risk_monitoring.runner import MonitorInputs, run_monitoring

app = typer.Typer(add_completion=False, help=__doc__)

Logs = Annotated[
    list[str],
    typer.Option(
        "--logs",
        help="Prediction log file, directory or s3:// URI (prefix ending in '/'); repeatable. "
        "Plain or gzip.",
    ),
]
Metadata = Annotated[str, typer.Option(help="Serving bundle metadata.json (path or s3://).")]
Now = Annotated[
    str | None, typer.Option(help="Evaluation time (ISO-8601); default: current UTC time.")
]
Emf = Annotated[bool, typer.Option(help="Print CloudWatch EMF metric documents on stdout.")]
ReportJson = Annotated[str | None, typer.Option(help="Where to write the JSON report.")]


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


@contextmanager
def _input_errors_exit_2() -> Iterator[None]:
    try:
        yield
    except InputError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_INPUT_ERROR) from error


def _conclude(report: dict[str, Any], emf: bool, settings: MonitorSettings) -> NoReturn:
    if emf:
        publish(report, settings.metric_namespace)
    for name, check in report["checks"].items():
        typer.echo(f"{check['status']:>7}  {name:<10} {check['summary']}", err=True)
    raise typer.Exit(report["exit_code"])


@app.command()
def run(
    logs: Logs,
    metadata: Metadata,
    labels: Annotated[
        str | None, typer.Option(help="Labels CSV written by `risk-monitor outcomes`.")
    ] = None,
    online_store: Annotated[
        str | None,
        typer.Option(
            envvar="MONITOR_ONLINE_STORE_URL",
            help="SQLAlchemy URL of the online feature store (its latest as_of).",
        ),
    ] = None,
    store_auth: Annotated[
        str,
        typer.Option(
            envvar="MONITOR_STORE_AUTH",
            help="'password': the URL as given; 'iam': an RDS IAM token per connection, TLS "
            "verify-full (docs/database-access.md).",
        ),
    ] = "password",
    lake: Annotated[
        str | None,
        typer.Option(
            envvar="MONITOR_LAKE",
            help="Feature pipeline output root: served rows are compared with "
            "run=<store_run_id>/online/parquet/ (skew). Needs the customer_ref key.",
        ),
    ] = None,
    now: Now = None,
    logs_window: Annotated[
        str,
        typer.Option(
            help="'all' (default): every --logs input; 'previous_day': only <prefix><yesterday>/ "
            "of each --logs prefix (UTC day before --now), the Firehose stream's daily layout."
        ),
    ] = "all",
    report_json: ReportJson = None,
    report_html: Annotated[str | None, typer.Option(help="Where to write the HTML report.")] = None,
    emf: Emf = True,
) -> None:
    """Run all checks once. Exit 0 = no alert; see `risk-monitor exit-codes`."""
    settings = MonitorSettings()
    inputs = MonitorInputs(
        logs=logs,
        metadata=metadata,
        labels=labels,
        online_store_url=online_store,
        store_auth=store_auth,
        lake=lake,
        now=_parse_now(now),
        logs_window=logs_window,
    )
    with _input_errors_exit_2():
        result = run_monitoring(inputs, settings)
        outputs.write_reports(result.report, report_json, report_html)
    _conclude(result.report, emf, settings)


@app.command()
def outcomes(
    repayments: Annotated[
        str,
        typer.Option(
            help="The lender's repayment CSV: customer_id, application_date, defaulted "
            "(docs/contracts/outcomes.md)."
        ),
    ],
    logs: Logs,
    metadata: Metadata,
    logs_window: Annotated[
        str,
        typer.Option(
            help="'all' (default): every --logs input; 'application_days': the daily prefixes "
            "(<prefix><yyyy-mm-dd>/) on which the judged loans' predictions can fall."
        ),
    ] = "all",
    labels_out: Annotated[
        str | None, typer.Option(help="Where to write the labels CSV (keyed by customer_ref).")
    ] = None,
    report_json: ReportJson = None,
    now: Now = None,
    emf: Emf = True,
) -> None:
    """Match repayments to the predictions that judged those loans; judge online quality."""
    settings = MonitorSettings()
    inputs = OutcomesInputs(
        repayments=repayments,
        logs=logs,
        metadata=metadata,
        logs_window=logs_window,
        labels_out=labels_out,
        now=_parse_now(now),
    )
    with _input_errors_exit_2():
        result = run_outcomes(inputs, settings)
        outputs.write_outcomes(result.report, result.labels_csv, report_json, labels_out)
    _conclude(result.report, emf, settings)


@app.command("exit-codes")
def exit_codes() -> None:
    """List the exit codes."""
    typer.echo(f"{EXIT_OK}  no alert (warnings allowed)")
    typer.echo(f"{EXIT_CRASH}  unexpected error")
    typer.echo(f"{EXIT_INPUT_ERROR}  invalid input or usage")
    for name, code in sorted(EXIT_CODES.items(), key=lambda item: item[1]):
        typer.echo(f"{code}  alert: {name}")
