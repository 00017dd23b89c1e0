"""`release`: operate a deployed market's inference Lambda through its CodeDeploy group.

Exit codes: 0 done, 1 AWS/deployment failure, 2 bad usage or configuration, 3 refused as unsafe,
4 CodeDeploy rolled the canary back, 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import boto3
import typer
from botocore.exceptions import BotoCoreError, NoRegionError

from release_tool import render
from release_tool.codedeploy import CodeDeployGroup
from release_tool.config import NO_HOOK, ReleaseSettings, default_group, default_hook
from release_tool.context import ReleaseContext
from release_tool.deploy import DEFAULT_TIMEOUT_SECONDS
from release_tool.errors import ConfigurationError, ExitCode, ReleaseError
from release_tool.identity import resolve_actor
from release_tool.lambda_function import LambdaFunction
from release_tool.promote import DEFAULT_PROMOTE_TIMEOUT_SECONDS
from release_tool.release import Release

app = typer.Typer(
    help="Release a model image to a market through its CodeDeploy deployment group.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@dataclass
class TargetOptions:
    function_name: str | None = None
    alias: str | None = None
    actor: str | None = None
    codedeploy_application: str | None = None
    codedeploy_group: str | None = None
    pre_traffic_hook: str | None = None


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
ReasonOption = Annotated[str, typer.Option("--reason", "-r", help="Why: recorded with the change.")]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", help="Seconds to wait for CodeDeploy to finish.")
]
PollOption = Annotated[
    float | None, typer.Option("--poll-seconds", help="Waiter polling interval (default 15).")
]


@app.callback()
def options(
    ctx: typer.Context,
    function_name: Annotated[
        str | None,
        typer.Option("--function-name", "-f", help="Inference Lambda (env RELEASE_FUNCTION_NAME)."),
    ] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", help="Traffic alias (env RELEASE_ALIAS, default live).")
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Who releases (env RELEASE_ACTOR, default STS identity)."),
    ] = None,
    codedeploy_application: Annotated[
        str | None,
        typer.Option(
            "--codedeploy-application",
            help="CodeDeploy application (env RELEASE_CODEDEPLOY_APPLICATION, default function).",
        ),
    ] = None,
    codedeploy_group: Annotated[
        str | None,
        typer.Option(
            "--codedeploy-group",
            help="Deployment group (env RELEASE_CODEDEPLOY_GROUP, default <function>-live).",
        ),
    ] = None,
    pre_traffic_hook: Annotated[
        str | None,
        typer.Option(
            "--pre-traffic-hook",
            help="BeforeAllowTraffic hook function (env RELEASE_PRE_TRAFFIC_HOOK, default "
            "<function>-pre-traffic; 'none' for none).",
        ),
    ] = None,
) -> None:
    ctx.obj = TargetOptions(
        function_name, alias, actor, codedeploy_application, codedeploy_group, pre_traffic_hook
    )


@functools.cache
def aws_session() -> boto3.session.Session:
    """One boto3 session per process: building clients from it reuses the parsed API models."""
    # boto3 reads AWS_DEFAULT_REGION, not AWS_REGION (the AWS CLI's, which wins there): pass it.
    return boto3.session.Session(region_name=os.environ.get("AWS_REGION") or None)


def build_release(target: TargetOptions) -> Release:
    """Release operations for the market named by options, falling back to RELEASE_* env."""
    settings = ReleaseSettings()
    function_name = target.function_name or settings.function_name
    if not function_name:
        raise ConfigurationError(
            "which function? pass --function-name or set RELEASE_FUNCTION_NAME"
        )
    application, group = default_group(function_name)
    hook = target.pre_traffic_hook or settings.pre_traffic_hook or default_hook(function_name)
    try:
        session = aws_session()
        clients = {name: session.client(name) for name in ("lambda", "cloudwatch", "sts")}
        codedeploy = session.client("codedeploy")
    except NoRegionError as error:
        raise ConfigurationError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)") from error
    actor = target.actor or settings.actor
    context = ReleaseContext(
        function=LambdaFunction(clients["lambda"], function_name, target.alias or settings.alias),
        group=CodeDeployGroup(
            codedeploy,
            target.codedeploy_application or settings.codedeploy_application or application,
            target.codedeploy_group or settings.codedeploy_group or group,
        ),
        cloudwatch=clients["cloudwatch"],
        actor_source=lambda: resolve_actor(actor, clients["sts"]),
        pre_traffic_hook=None if hook.lower() == NO_HOOK else hook,
    )
    return Release(context)


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
        _fail("interrupted; CodeDeploy carries on: `release status`", 130, as_json)


_KINDS: dict[int, str] = {
    ExitCode.REFUSED: "refused",
    ExitCode.USAGE: "usage",
    ExitCode.ROLLED_BACK: "rolled back",
}


def _fail(message: str, code: int, as_json: bool) -> None:
    typer.echo(f"release: {_KINDS.get(code, 'error')}: {message}", err=True)
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
    image_uri: Annotated[
        str | None, typer.Option("--image-uri", help="ECR image URI with tag or digest.")
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Model version baked into the image.")
    ] = None,
    model_sha256: Annotated[
        str | None, typer.Option("--model-sha256", help="metadata.json model_sha256 of its bundle.")
    ] = None,
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="Deploy what a release manifest names.")
    ] = None,
    reason: ReasonOption = "",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for Lambda updates.")
    ] = DEFAULT_TIMEOUT_SECONDS,
    as_json: JsonOption = False,
) -> None:
    """Publish a new Lambda version running the image. Traffic does not move."""
    with reporting(as_json):
        release = build_release(ctx.obj)
        if manifest is not None:
            if image_uri or model_version or model_sha256:
                raise ConfigurationError(
                    "--manifest replaces --image-uri/--model-version/--model-sha256"
                )
            result = release.deploy_manifest(manifest, reason, timeout)
        elif image_uri and model_version:
            result = release.deploy(image_uri, model_version, model_sha256, reason, timeout)
        else:
            raise ConfigurationError("pass --image-uri and --model-version, or --manifest")
        _emit(as_json, result.as_dict(), lambda: render.deploy_text(result))


@app.command()
def canary(
    ctx: typer.Context,
    version: Annotated[
        str | None, typer.Option("--version", help="Version to release (default: newest).")
    ] = None,
    percent: Annotated[
        float | None,
        typer.Option("--percent", "-p", help="Refuse unless the group's canary share is this."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow a version older than live.")
    ] = False,
    reason: ReasonOption = "",
    as_json: JsonOption = False,
) -> None:
    """Start the CodeDeploy deployment live -> VERSION with the market's canary config."""
    with reporting(as_json):
        result = build_release(ctx.obj).canary(version, reason, percent, force)
        _emit(as_json, result.as_dict(), lambda: render.deployment_text(result))


@app.command()
def promote(
    ctx: typer.Context,
    reason: ReasonOption = "",
    timeout: TimeoutOption = DEFAULT_PROMOTE_TIMEOUT_SECONDS,
    poll_seconds: PollOption = None,
    as_json: JsonOption = False,
) -> None:
    """Wait until CodeDeploy finishes the canary: exit 0 at 100 %, 4 if it rolled back."""
    with reporting(as_json):
        result = build_release(ctx.obj).promote(timeout, poll_seconds)
        payload = {**result.as_dict(), "reason": reason}
        _emit(as_json, payload, lambda: render.deployment_text(result))


@app.command()
def rollback(
    ctx: typer.Context,
    reason: ReasonOption = "",
    to_version: Annotated[
        str | None, typer.Option("--to-version", help="Send all traffic to this version.")
    ] = None,
    timeout: TimeoutOption = DEFAULT_PROMOTE_TIMEOUT_SECONDS,
    poll_seconds: PollOption = None,
    as_json: JsonOption = False,
) -> None:
    """All traffic back to the previous version, at any stage (reason required)."""
    with reporting(as_json):
        result = build_release(ctx.obj).rollback(reason, to_version, timeout, poll_seconds)
        _emit(as_json, result.as_dict(), lambda: render.deployment_text(result))


@app.command()
def status(
    ctx: typer.Context,
    versions: Annotated[int, typer.Option("--versions", min=1, help="Recent versions shown.")] = 10,
    deployments: Annotated[
        int, typer.Option("--deployments", min=1, help="Recent deployments shown.")
    ] = 10,
    as_json: JsonOption = False,
) -> None:
    """Traffic per version, models, the CodeDeploy deployment in progress, history, alarms."""
    with reporting(as_json):
        report = build_release(ctx.obj).status(versions, deployments)
        _emit(as_json, report, lambda: render.status_text(report))


@app.command()
def manifest(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Where to write the manifest JSON.")],
    image_uri: Annotated[str, typer.Option("--image-uri", help="The live image, by digest.")],
    market: Annotated[str, typer.Option("--market")],
    environment: Annotated[str, typer.Option("--environment", help="Where it passed.")],
    git_commit: Annotated[str, typer.Option("--git-commit", help="Commit it was built from.")],
    bundle_prefix: Annotated[str, typer.Option("--bundle-prefix", help="s3:// bundle prefix.")],
    model_name: Annotated[str, typer.Option("--model-name")] = "credit-risk",
    as_json: JsonOption = False,
) -> None:
    """Write the release manifest of what is live (refused unless a canary just passed)."""
    with reporting(as_json):
        written = build_release(ctx.obj).manifest(
            image_uri=image_uri,
            market=market,
            environment=environment,
            git_commit=git_commit,
            model_name=model_name,
            bundle_prefix=bundle_prefix,
        )
        out.write_text(written.to_json())
        payload = {"operation": "manifest", "path": str(out), **json.loads(written.to_json())}
        _emit(
            as_json,
            payload,
            lambda: f"wrote {out}: {written.image_uri} model {written.model_version}",
        )


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # e.g. `release status | head`
        sys.exit(int(ExitCode.OK))
