"""`release rollback`: all traffic back to the last known-good version, at any stage.

* A deployment in progress is stopped with CodeDeploy's own automatic rollback.
* After a deployment succeeded, the version it replaced is redeployed all at once
  (``CodeDeployDefault.LambdaAllAtOnce``, no hooks, alarms off: the target served before).

It refuses rather than guesses: a second rollback in a row, or an alias that CodeDeploy did
not put where it is, needs an explicit ``--to-version``.
"""

from __future__ import annotations

from release_tool.appspec import LambdaAppSpec
from release_tool.codedeploy import ALL_AT_ONCE, Deployment
from release_tool.context import ReleaseContext, moved_by
from release_tool.errors import RefusedError, ReleaseError
from release_tool.lambda_function import AliasState
from release_tool.promote import DEFAULT_PROMOTE_TIMEOUT_SECONDS
from release_tool.records import DeploymentNote
from release_tool.results import DeploymentResult
from release_tool.validation import require_reason


def rollback(
    ctx: ReleaseContext,
    reason: str,
    to_version: str | None = None,
    timeout_seconds: float = DEFAULT_PROMOTE_TIMEOUT_SECONDS,
    poll_seconds: float | None = None,
) -> DeploymentResult:
    reason = require_reason(reason, "rollback")
    active = ctx.group.active()
    if active is not None and to_version is not None and to_version == moved_by(active)[1]:
        raise RefusedError(
            f"version {to_version} is the one being deployed: moving all traffic to it is what "
            "the canary decides (`release promote`), not a rollback"
        )
    if active is not None and ctx.group.stop_with_rollback(active.deployment_id):
        stopped = _wait_for_stop(ctx, active, timeout_seconds, poll_seconds)
        if to_version is None or to_version == ctx.function.alias_state().stable_version:
            return _result(ctx, stopped, f"stopped {stopped.describe()}; CodeDeploy rolled back")
    alias = ctx.live_alias()
    target = to_version or _previous_version(ctx, alias)
    deployment = _redeploy(ctx, alias, target, reason, timeout_seconds, poll_seconds)
    return _result(ctx, deployment, f"redeployed version {target} all at once")


def _wait_for_stop(
    ctx: ReleaseContext, active: Deployment, timeout: float, poll: float | None
) -> Deployment:
    stopped = ctx.group.wait_until_done(active.deployment_id, timeout, poll)
    if stopped.rollback_deployment_id:
        ctx.group.wait_until_done(stopped.rollback_deployment_id, timeout, poll)
    alias = ctx.function.alias_state()
    before, _ = moved_by(stopped)
    if alias.shifting or alias.stable_version != before:
        raise ReleaseError(
            f"stopped {stopped.describe()} but alias {alias.name!r} still routes "
            f"{alias.traffic()}; run `release status` and `release rollback --to-version {before}`"
        )
    return stopped


def _previous_version(ctx: ReleaseContext, alias: AliasState) -> str:
    history = ctx.group.deployments()
    hint = ctx.recent_versions_hint()
    if not history:
        raise RefusedError(f"no CodeDeploy deployment history; pass --to-version V. {hint}")
    last = history[0]
    if last.is_rollback:
        raise RefusedError(
            f"already rolled back ({last.describe()}): all traffic is on version "
            f"{alias.stable_version}. To go further back pass --to-version V. {hint}"
        )
    if last.status != "Succeeded":
        raise RefusedError(
            f"the last deployment did not complete ({last.describe()}): all traffic is on "
            f"version {alias.stable_version} already. To go further back pass --to-version V. "
            + hint
        )
    before, after = moved_by(last)
    if after != alias.stable_version:
        raise RefusedError(
            f"alias {alias.name!r} serves version {alias.stable_version}, not version {after} "
            f"that the last deployment ({last.deployment_id}) shifted to: it was changed outside "
            f"CodeDeploy; pass --to-version V. {hint}"
        )
    return before


def _redeploy(
    ctx: ReleaseContext,
    alias: AliasState,
    version: str,
    reason: str,
    timeout: float,
    poll: float | None,
) -> Deployment:
    target = ctx.function.version(version)
    if alias.shifting:
        raise RefusedError(
            f"alias {alias.name!r} routes {alias.traffic()} outside CodeDeploy; point it at one "
            f"version first: aws lambda update-alias --function-name "
            f"{ctx.function.function_name} --name {alias.name} --function-version "
            f"{target.version} --routing-config AdditionalVersionWeights={{}}"
        )
    if target.version == alias.stable_version:
        raise RefusedError(f"version {target.version} already serves all traffic")
    if (target.state or "Active") != "Active":
        raise RefusedError(f"version {target.version} is {target.state}, not Active")
    appspec = LambdaAppSpec(ctx.function.function_name, alias.name, alias.stable_version, version)
    note = DeploymentNote(op="rollback", by=ctx.actor, why=reason, model=target.model_version or "")
    deployment_id = ctx.group.create(appspec, note, config_name=ALL_AT_ONCE, alarms_off=True)
    deployment = ctx.group.wait_until_done(deployment_id, timeout, poll)
    if deployment.status != "Succeeded":
        raise ReleaseError(
            f"rollback deployment {deployment.describe()} did not succeed; run `release status`"
        )
    return deployment


def _result(ctx: ReleaseContext, deployment: Deployment, detail: str) -> DeploymentResult:
    alias = ctx.function.alias_state()
    before, after = moved_by(deployment)
    return DeploymentResult(
        operation="rollback",
        function_name=ctx.function.function_name,
        alias=alias.name,
        deployment_id=deployment.deployment_id,
        deployment_status=deployment.status,
        from_version=before,
        to_version=after if deployment.status == "Succeeded" else before,
        traffic=alias.traffic(),
        detail=f"{detail}: all traffic on version {alias.stable_version}",
    )
