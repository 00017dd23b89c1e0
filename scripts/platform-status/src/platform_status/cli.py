"""`platform-status`: what is live and whether it agrees; the registry UI; the ML Test Score."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from platform_status.errors import StatusError
from platform_status.registry_ui import DB_AUTH_MODES, iam_store_uri, ui_command, ui_environment
from platform_status.render import as_dict, as_text
from platform_status.scorecard import MAPPING_PATH, REPORTS_PATH, compute, render
from platform_status.status import StatusInputs, collect

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

EXIT_DISAGREE = 1
EXIT_UNREADABLE = 2


def _local_defaults(run_dir: Path | None) -> dict[str, str]:
    """Where `make run` keeps each part (scripts/run_platform.sh)."""
    if run_dir is None:
        return {}
    root = run_dir.resolve()
    return {
        "store_url": f"sqlite:///{root}/feature_store.db",
        "tracking_uri": f"sqlite:///{root}/mlflow/mlflow.db",
        "bundle_dir": str(root / "bundle"),
        "lake": str(root / "lake" / "features"),
        "monitoring_reports": str(root / "monitoring"),
    }


def _fail(message: str, code: int) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


@app.command()
def status(
    run_dir: Annotated[
        Path | None,
        typer.Option(help="A `make run` folder: its store, registry, bundle, lake, reports."),
    ] = None,
    store_url: Annotated[
        str | None, typer.Option(envvar="STATUS_STORE_URL", help="SQLAlchemy URL of the store.")
    ] = None,
    store_auth: Annotated[
        str, typer.Option(envvar="STATUS_STORE_AUTH", help="password | iam (RDS Proxy).")
    ] = "password",
    tracking_uri: Annotated[
        str | None, typer.Option(envvar="MLFLOW_TRACKING_URI", help="The MLflow registry.")
    ] = None,
    model_name: Annotated[str, typer.Option(envvar="STATUS_MODEL_NAME")] = "credit-risk",
    bundle_dir: Annotated[
        Path | None, typer.Option(help="Local serving: the bundle the API serves.")
    ] = None,
    function_name: Annotated[
        str | None,
        typer.Option(envvar="RELEASE_FUNCTION_NAME", help="AWS serving: the inference function."),
    ] = None,
    alias: Annotated[str, typer.Option(envvar="RELEASE_ALIAS", help="Its traffic alias.")] = "live",
    artifacts: Annotated[
        str | None,
        typer.Option(
            envvar="STATUS_ARTIFACTS", help="Artifacts root of bundles/<model>/champion.json."
        ),
    ] = None,
    lake: Annotated[
        str | None, typer.Option(envvar="STATUS_LAKE", help="Feature pipeline output root.")
    ] = None,
    monitoring_reports: Annotated[
        str | None,
        typer.Option(envvar="STATUS_MONITORING_REPORTS", help="risk-monitoring's report prefix."),
    ] = None,
    max_store_age_days: Annotated[
        float, typer.Option(envvar="MONITOR_MAX_FEATURE_STORE_AGE_DAYS")
    ] = 2.0,
    today: Annotated[
        str | None,
        typer.Option(help="The day staleness is judged on, YYYY-MM-DD (default: today, UTC)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print plain data.")] = False,
) -> None:
    """Store, registry, served bundle, traffic split and last monitoring verdict, side by side.

    Exit 0 when they agree, 1 when they disagree (each problem is printed), 2 when a part
    cannot be read.
    """
    defaults = _local_defaults(run_dir)
    if function_name:
        defaults.pop("bundle_dir", None)
    try:
        inputs = StatusInputs(
            store_url=store_url or defaults.get("store_url") or _missing("--store-url"),
            store_auth=store_auth,
            tracking_uri=tracking_uri or defaults.get("tracking_uri") or _missing("--tracking-uri"),
            model_name=model_name,
            bundle_dir=bundle_dir or _path(defaults.get("bundle_dir")),
            function_name=function_name,
            alias=alias,
            artifacts=artifacts,
            lake=lake or defaults.get("lake"),
            monitoring_reports=monitoring_reports or defaults.get("monitoring_reports"),
            max_store_age_days=max_store_age_days,
            today=date.fromisoformat(today) if today else datetime.now(UTC).date(),
        )
        found = collect(inputs)
    except (StatusError, ValueError) as error:
        raise _fail(f"status: {error}", EXIT_UNREADABLE) from error
    typer.echo(json.dumps(as_dict(found), indent=2) if as_json else as_text(found))
    if found.problems:
        raise typer.Exit(EXIT_DISAGREE)


def _missing(option: str) -> str:
    raise StatusError(f"{option} is required (or --run-dir for a `make run` folder)")


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


@app.command("registry-ui")
def registry_ui(
    run_dir: Annotated[
        Path | None, typer.Option(help="A `make run` folder: serve its registry.")
    ] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(envvar="MLFLOW_TRACKING_URI", help="The registry's store.")
    ] = None,
    port: Annotated[int, typer.Option(envvar="REGISTRY_UI_PORT")] = 5000,
    db_auth: Annotated[
        str,
        typer.Option(envvar="REGISTRY_UI_DB_AUTH", help="password | iam (RDS Proxy, AWS)."),
    ] = "password",
    via: Annotated[
        str | None,
        typer.Option(help="iam: the address the proxy is reached at (the SSM tunnel's end)."),
    ] = None,
) -> None:
    """Serve the MLflow UI on the registry, on 127.0.0.1 only (Ctrl-C stops it)."""
    uri = tracking_uri or _local_defaults(run_dir).get("tracking_uri")
    if not uri:
        raise _fail("registry-ui: --tracking-uri or --run-dir is required", EXIT_UNREADABLE)
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        raise _fail(f"registry-ui: no registry at {uri}: run 'make run' first", EXIT_UNREADABLE)
    if db_auth not in DB_AUTH_MODES:
        raise _fail(f"registry-ui: --db-auth must be one of {DB_AUTH_MODES}", EXIT_UNREADABLE)
    store_uri = uri
    if db_auth == "iam":
        import boto3

        try:
            store_uri = iam_store_uri(uri, boto3.client("rds"), via)
        except StatusError as error:
            raise _fail(f"registry-ui: {error}", EXIT_UNREADABLE) from error
    command = ui_command(port)
    shown = make_url(uri).render_as_string(hide_password=True) if "://" in uri else uri
    typer.echo(f"MLflow UI on http://127.0.0.1:{port} (registry {shown}); Ctrl-C to stop")
    environment = {**os.environ, **ui_environment(store_uri)}
    os.execve(command[0], command, environment)  # noqa: S606 - our own interpreter, no shell


def _repository_root() -> Path:
    """The checkout the command runs in: the nearest folder holding docs/ml-test-score.md."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "docs" / "ml-test-score.md").is_file():
            return folder
    raise _fail("scorecard: run it inside the repository (no docs/ml-test-score.md above)", 2)


@app.command()
def scorecard(
    reports: Annotated[
        Path | None, typer.Option(help="JUnit reports of the suites (default var/test-reports).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="Default docs/ml-test-score-map.toml.")
    ] = None,
    fail_under: Annotated[
        float, typer.Option(help="Exit 1 when a section scores below this.")
    ] = 0.0,
) -> None:
    """The ML Test Score per section, each point with the test (or document) that proves it."""
    repo = _repository_root()
    report_dir = reports or repo / REPORTS_PATH
    try:
        card = compute(repo, mapping or repo / MAPPING_PATH, report_dir)
    except StatusError as error:
        raise _fail(f"scorecard: {error}", EXIT_UNREADABLE) from error
    typer.echo(render(card, report_dir))
    if min(card.section_scores().values()) < fail_under:
        raise typer.Exit(EXIT_DISAGREE)


def main() -> None:
    app()
