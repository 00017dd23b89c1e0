"""`release`: operate a deployed market's inference Lambda (deploy, canary, promote, rollback).

Exit codes: 0 done, 1 AWS/deployment failure, 2 bad usage or configuration, 3 refused as unsafe,
4 canary watch saw an alarm and rolled back, 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import boto3
import typer
from botocore.exceptions import BotoCoreError, NoRegionError

from release_tool.alarms import AlarmGate
from release_tool.codedeploy import CodeDeployGuard
from release_tool.config import ReleaseSettings
from release_tool.errors import ConfigurationError, ExitCode, ReleaseError
from release_tool.identity import resolve_actor
from release_tool.lambda_function import LambdaFunction
from release_tool.operations import (
    DEFAULT_TIMEOUT_SECONDS,
    DeployResult,
    Release,
    TrafficResult,
    WatchResult,
)

# CodeDeploy's default in the inference module is 10% for 5 minutes; the watch mirrors it.
DEFAULT_BAKE_SECONDS = 300.0
DEFAULT_POLL_SECONDS = 30.0

app = typer.Typer(
    help="Release a model image to a market: deploy, canary (with watch), promote, rollback.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@dataclass
class TargetOptions:
    function_name: str | None = None
    alias: str | None = None
    alarm_names: list[str] = field(default_factory=list)
    alarm_prefix: str | None = None
    actor: str | None = None
    codedeploy_application: str | None = None
    codedeploy_group: str | None = None


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
ReasonOption = Annotated[
    str, typer.Option("--reason", "-r", help="Why: recorded with the change (ticket, incident).")
]
RequiredReason = Annotated[
    str, typer.Option("--reason", "-r", help="Why (required, recorded): ticket, incident, ...")
]


@app.callback()
def options(
    ctx: typer.Context,
    function_name: Annotated[
        str | None,
        typer.Option(
            "--function-name", "-f", help="Inference Lambda name/ARN (env RELEASE_FUNCTION_NAME)."
        ),
    ] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", help="Traffic alias (env RELEASE_ALIAS, default live).")
    ] = None,
    alarm_name: Annotated[
        list[str] | None,
        typer.Option(
            "--alarm-name",
            help="Gating CloudWatch alarm (repeatable) (env RELEASE_ALARM_NAMES, comma-separated).",
        ),
    ] = None,
    alarm_prefix: Annotated[
        str | None,
        typer.Option(
            "--alarm-prefix",
            help="Every alarm with this name prefix gates (env RELEASE_ALARM_PREFIX).",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Who releases (env RELEASE_ACTOR, default STS identity)."),
    ] = None,
    codedeploy_application: Annotated[
        str | None,
        typer.Option(
            "--codedeploy-application",
            help="CodeDeploy app that also shifts the alias (env RELEASE_CODEDEPLOY_APPLICATION).",
        ),
    ] = None,
    codedeploy_group: Annotated[
        str | None,
        typer.Option(
            "--codedeploy-group",
            help="Its deployment group (env RELEASE_CODEDEPLOY_GROUP).",
        ),
    ] = None,
) -> None:
    ctx.obj = TargetOptions(
        function_name=function_name,
        alias=alias,
        alarm_names=list(alarm_name or []),
        alarm_prefix=alarm_prefix,
        actor=actor,
        codedeploy_application=codedeploy_application,
        codedeploy_group=codedeploy_group,
    )


@functools.cache
def aws_session() -> boto3.session.Session:
    """One boto3 session per process: building clients from it reuses the parsed API models."""
    return boto3.session.Session()


def build_release(target: TargetOptions) -> Release:
    """Release operations for the market named by options, falling back to RELEASE_* env."""
    settings = ReleaseSettings()
    function_name = target.function_name or settings.function_name
    if not function_name:
        raise ConfigurationError(
            "which function? pass --function-name or set RELEASE_FUNCTION_NAME"
        )
    alarm_names = target.alarm_names or settings.alarm_name_list
    alarm_prefix = target.alarm_prefix or settings.alarm_prefix
    configured_actor = target.actor or settings.actor
    try:
        session = aws_session()
        lambda_client = session.client("lambda")
        cloudwatch = session.client("cloudwatch")
        sts = session.client("sts")
        codedeploy_client = session.client("codedeploy")
    except NoRegionError as error:
        raise ConfigurationError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)") from error
    return Release(
        function=LambdaFunction(lambda_client, function_name, target.alias or settings.alias),
        alarms=AlarmGate(cloudwatch, alarm_names, alarm_prefix),
        actor=lambda: resolve_actor(configured_actor, sts),
        codedeploy=CodeDeployGuard(
            codedeploy_client,
            target.codedeploy_application or settings.codedeploy_application,
            target.codedeploy_group or settings.codedeploy_group,
        ),
        history_size=settings.history_size,
    )


@contextmanager
def reporting(as_json: bool) -> Iterator[None]:
    """Map failures to a clear message on stderr (and JSON on stdout) plus the exit code."""
    try:
        yield
    except ReleaseError as error:
        _fail(str(error), error.exit_code, as_json)
    except BotoCoreError as error:
        _fail(f"AWS: {error}", ExitCode.FAILED, as_json)
    except KeyboardInterrupt:
        _fail("interrupted; run `release status` to see where traffic is", 130, as_json)


def _fail(message: str, code: int, as_json: bool) -> None:
    kind = "refused" if code == ExitCode.REFUSED else "usage" if code == ExitCode.USAGE else "error"
    typer.echo(f"release: {kind}: {message}", err=True)
    if as_json:
        typer.echo(json.dumps({"ok": False, "error": message, "exit_code": int(code)}))
    raise typer.Exit(code=int(code))


def _emit(as_json: bool, payload: dict[str, Any], human: Callable[[], str]) -> None:
    if as_json:
        typer.echo(json.dumps({"ok": True, **payload}, indent=2, sort_keys=True))
    else:
        typer.echo(human())
    for warning in payload.get("warnings") or []:
        typer.echo(f"release: warning: {warning}", err=True)


@app.command()
def deploy(
    ctx: typer.Context,
    image_uri: Annotated[str, typer.Option("--image-uri", help="ECR image URI with tag/digest.")],
    model_version: Annotated[
        str, typer.Option("--model-version", help="Model registry version baked into the image.")
    ],
    reason: ReasonOption = "",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for Lambda updates.")
    ] = DEFAULT_TIMEOUT_SECONDS,
    as_json: JsonOption = False,
) -> None:
    """Publish a new Lambda version running IMAGE with MODEL_VERSION. Traffic does not move."""
    with reporting(as_json):
        result = build_release(ctx.obj).deploy(image_uri, model_version, reason, timeout)
        _emit(as_json, result.as_dict(), lambda: _deploy_text(result))


@app.command()
def canary(
    ctx: typer.Context,
    percent: Annotated[
        float,
        typer.Option("--percent", "-p", help="Share of traffic for the new version, 0<P<100."),
    ],
    version: Annotated[
        str | None,
        typer.Option("--version", help="Version to canary (default: newest published)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a canary of another version / canary an older one."),
    ] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Then watch the alarms; roll back if one fires.")
    ] = False,
    bake_seconds: Annotated[
        float, typer.Option("--bake-seconds", help="How long --watch watches.")
    ] = DEFAULT_BAKE_SECONDS,
    poll_seconds: Annotated[
        float, typer.Option("--poll-seconds", help="Alarm polling interval for --watch.")
    ] = DEFAULT_POLL_SECONDS,
    reason: ReasonOption = "",
    as_json: JsonOption = False,
) -> None:
    """Route PERCENT of the alias to the new version; the rest stays on the live version."""
    with reporting(as_json):
        release = build_release(ctx.obj)
        if watch:
            release.alarms.states()  # a broken alarm gate must fail before traffic moves
        result = release.canary(percent, version, reason, force)
        if not watch:
            _emit(as_json, result.as_dict(), lambda: _traffic_text(result))
            return
        if not as_json:
            typer.echo(_traffic_text(result))
        outcome = release.watch(bake_seconds, poll_seconds, reason)
        payload = {"operation": "canary", "canary": result.as_dict(), "watch": outcome.as_dict()}
        _finish_watch(as_json, payload, outcome)


@app.command(name="watch")
def watch_command(
    ctx: typer.Context,
    bake_seconds: Annotated[
        float, typer.Option("--bake-seconds", help="How long to watch.")
    ] = DEFAULT_BAKE_SECONDS,
    poll_seconds: Annotated[
        float, typer.Option("--poll-seconds", help="Alarm polling interval.")
    ] = DEFAULT_POLL_SECONDS,
    reason: ReasonOption = "",
    as_json: JsonOption = False,
) -> None:
    """Watch the canary in progress; roll it back automatically when a gating alarm fires."""
    with reporting(as_json):
        outcome = build_release(ctx.obj).watch(bake_seconds, poll_seconds, reason)
        _finish_watch(as_json, outcome.as_dict(), outcome)


def _finish_watch(as_json: bool, payload: dict[str, Any], outcome: WatchResult) -> None:
    payload = {**payload, "ok": outcome.passed}
    _emit(as_json, payload, lambda: f"watch {outcome.outcome.replace('_', ' ')}: {outcome.detail}")
    if outcome.outcome == "rolled_back":
        raise typer.Exit(code=int(ExitCode.ROLLED_BACK))
    if outcome.outcome != "passed":
        raise typer.Exit(code=int(ExitCode.FAILED))


@app.command()
def promote(ctx: typer.Context, reason: RequiredReason = "", as_json: JsonOption = False) -> None:
    """All traffic to the canary version (refused with no canary or a gating alarm in ALARM)."""
    with reporting(as_json):
        result = build_release(ctx.obj).promote(reason)
        _emit(as_json, result.as_dict(), lambda: _traffic_text(result))


@app.command()
def rollback(
    ctx: typer.Context,
    reason: RequiredReason = "",
    to_version: Annotated[
        str | None,
        typer.Option("--to-version", help="Send all traffic to this version instead."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """All traffic back to the previous stable version, in one call, at any stage."""
    with reporting(as_json):
        result = build_release(ctx.obj).rollback(reason, to_version)
        _emit(as_json, result.as_dict(), lambda: _traffic_text(result))


@app.command()
def status(
    ctx: typer.Context,
    versions: Annotated[int, typer.Option("--versions", min=1, help="Recent versions shown.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Versions, traffic weights, model versions and the alarms that gate promotion."""
    with reporting(as_json):
        report = build_release(ctx.obj).status(version_limit=versions)
        _emit(as_json, report, lambda: _status_text(report))


def _deploy_text(result: DeployResult) -> str:
    verb = "Published" if result.published_new_version else "Reused"
    return (
        f"{verb} version {result.version} of {result.function_name} "
        f"(model {result.model_version}, image {result.image_uri}). "
        f"Traffic unchanged: all on version {result.live_version}. "
        f"Next: release canary --percent 10 --watch"
    )


def _traffic_text(result: TrafficResult) -> str:
    shares = ", ".join(
        f"{share:.1%} -> version {version}" for version, share in result.traffic.items()
    )
    previous = f" (previous stable: {result.previous_version})" if result.previous_version else ""
    return f"{result.operation}: alias {result.alias} of {result.function_name}: {shares}{previous}"


def _status_text(report: dict[str, Any]) -> str:
    lines = [
        f"{report['function_name']} alias {report['alias']}: {report['phase']}",
        "traffic: "
        + ", ".join(
            f"version {version} {share:.1%} (model {report['model_versions'].get(version) or '?'})"
            for version, share in report["traffic"].items()
        ),
    ]
    if report["previous_version"]:
        lines.append(f"rollback target after promote: version {report['previous_version']}")
    last = report["last_operation"]
    if last:
        lines.append(f"last: {last['op']} at {last['at']} by {last['by']} {last['why']}".rstrip())
    lines.append("versions:")
    for row in report["versions"]:
        lines.append(
            f"  {row['version']:>4}  model {row['model_version'] or '?':<10} "
            f"weight {row['weight']:.1%}  {row['published_at'] or ''}  {row['image_uri'] or ''}"
        )
    codedeploy = report["codedeploy"]
    if codedeploy["active_deployments"]:
        lines.append(
            "CodeDeploy deployments in progress: " + ", ".join(codedeploy["active_deployments"])
        )
    lines.append(f"alarm gate: {report['alarm_gate']} {report['alarm_gate_detail']}".rstrip())
    for alarm in report["alarms"]:
        lines.append(f"  {alarm['state']:<17} {alarm['name']}")
    return "\n".join(lines)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # e.g. `release status | head`
        sys.exit(int(ExitCode.OK))
