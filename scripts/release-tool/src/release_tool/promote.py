"""`release promote`: finish the canary. CodeDeploy for Lambda shifts the rest of the traffic
itself when the bake interval ends without an alarm (there is no "continue now" for Lambda), so
promote waits for that outcome with the boto3 waiter and reports it: exit 0 when all traffic is
on the new version, exit 4 when CodeDeploy rolled the canary back."""

from __future__ import annotations

from release_tool.codedeploy import ROLLBACK_CREATOR, Deployment
from release_tool.context import ReleaseContext, moved_by
from release_tool.errors import RefusedError, ReleaseError, RolledBackError
from release_tool.results import DeploymentResult

DEFAULT_PROMOTE_TIMEOUT_SECONDS = 3600.0


def promote(
    ctx: ReleaseContext,
    timeout_seconds: float = DEFAULT_PROMOTE_TIMEOUT_SECONDS,
    poll_seconds: float | None = None,
) -> DeploymentResult:
    deployment = ctx.group.active() or _latest(ctx)
    if deployment.active:
        deployment = ctx.group.wait_until_done(
            deployment.deployment_id, timeout_seconds, poll_seconds
        )
    if deployment.active:
        raise ReleaseError(
            f"deployment {deployment.describe()} has not finished after {timeout_seconds:g}s; "
            "CodeDeploy carries on: run `release promote` again or `release status`"
        )
    alias = ctx.function.alias_state()
    before, after = moved_by(deployment)
    if deployment.status != "Succeeded":
        raise RolledBackError(
            f"the canary did not pass: {deployment.describe()}; CodeDeploy sent the traffic "
            f"back: version {alias.stable_version} serves {alias.traffic()}"
        )
    if alias.shifting or alias.stable_version != after:
        raise ReleaseError(
            f"deployment {deployment.deployment_id} succeeded but alias {alias.name!r} routes "
            f"{alias.traffic()}, not all to version {after}; it was changed since"
        )
    return DeploymentResult(
        operation="promote",
        function_name=ctx.function.function_name,
        alias=alias.name,
        deployment_id=deployment.deployment_id,
        deployment_status=deployment.status,
        from_version=before,
        to_version=after,
        traffic=alias.traffic(),
        detail=f"all traffic on version {after} (deployment {deployment.deployment_id})",
    )


def _latest(ctx: ReleaseContext) -> Deployment:
    history = ctx.group.deployments()
    if not history:
        raise RefusedError(
            f"no CodeDeploy deployment in {ctx.group.name}: start one with `release canary`"
        )
    if history[0].creator == ROLLBACK_CREATOR and history[0].rolls_back:
        return ctx.group.get(history[0].rolls_back)  # report on the canary it undid
    if history[0].is_rollback:
        raise RefusedError(
            f"the last deployment ({history[0].describe()}) was a rollback: nothing to promote"
        )
    return history[0]
