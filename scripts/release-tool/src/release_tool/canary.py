"""`release canary`: start the CodeDeploy deployment from the live version to a new one.

CodeDeploy then does the rest with the market's deployment configuration: the pre-traffic
hook, the canary share, the bake on the group's alarms, 100 % or an automatic rollback.
"""

from __future__ import annotations

from release_tool.appspec import LambdaAppSpec
from release_tool.codedeploy import GroupSettings
from release_tool.context import ReleaseContext
from release_tool.errors import RefusedError
from release_tool.lambda_function import AliasState, PublishedVersion
from release_tool.records import DeploymentNote
from release_tool.results import DeploymentResult


def canary(
    ctx: ReleaseContext,
    version: str | None = None,
    reason: str = "",
    percent: float | None = None,
    force: bool = False,
) -> DeploymentResult:
    settings = ctx.group.settings()
    ctx.refuse_when_active("start a canary")
    alias = ctx.live_alias()
    if alias.shifting:
        raise RefusedError(
            f"alias {alias.name!r} routes {alias.traffic()} but no CodeDeploy deployment is "
            "running: it was changed outside CodeDeploy. Put it back on one version "
            "(`release rollback --to-version V`) first"
        )
    target = _target(ctx, version, alias, force)
    _check_percent(ctx, settings, percent)
    warnings: list[str] = []
    hook = _pre_traffic_hook(ctx, target, warnings)
    pointed = _point_alarms(ctx, settings, target, warnings)
    appspec = LambdaAppSpec(
        function_name=ctx.function.function_name,
        alias=alias.name,
        current_version=alias.stable_version,
        target_version=target.version,
        before_allow_traffic=hook,
    )
    note = DeploymentNote(op="canary", by=ctx.actor, why=reason, model=target.model_version or "")
    deployment = ctx.group.get(ctx.group.create(appspec, note))
    return DeploymentResult(
        operation="canary",
        function_name=ctx.function.function_name,
        alias=alias.name,
        deployment_id=deployment.deployment_id,
        deployment_status=deployment.status,
        from_version=alias.stable_version,
        to_version=target.version,
        traffic=ctx.function.alias_state().traffic(),
        detail=f"CodeDeploy deployment {deployment.deployment_id} started with "
        f"{settings.config_name}: version {alias.stable_version} -> {target.version} "
        f"(model {target.model_version}); it rolls back by itself when an alarm fires",
        alarms_pointed=pointed,
        warnings=warnings,
    )


def _target(
    ctx: ReleaseContext, version: str | None, alias: AliasState, force: bool
) -> PublishedVersion:
    if version is not None:
        target = ctx.function.version(version)
    else:
        versions = ctx.function.published_versions()
        if not versions or versions[-1].version == alias.stable_version:
            raise RefusedError(
                f"no version newer than the live version {alias.stable_version}; "
                "run `release deploy` first"
            )
        target = versions[-1]
    if target.version == alias.stable_version:
        raise RefusedError(f"version {target.version} already serves all traffic")
    if target.number < int(alias.stable_version) and not force:
        raise RefusedError(
            f"version {target.version} is older than the live version {alias.stable_version}; "
            "use `release rollback` to go back, or --force"
        )
    if target.model_version is None:
        # e.g. published by `terraform apply` after a configuration change: nobody said which
        # model it serves, so nothing can check it.
        raise RefusedError(
            f"version {target.version} has no recorded model version (not published by "
            "`release deploy`); deploy the image with `release deploy`. "
            + ctx.recent_versions_hint()
        )
    if (target.state or "Active") != "Active":
        raise RefusedError(f"version {target.version} is {target.state}, not Active")
    return target


def _check_percent(ctx: ReleaseContext, settings: GroupSettings, percent: float | None) -> None:
    """--percent is a check, not a setting: the market's share is its Terraform config."""
    if percent is None:
        return
    configured = ctx.group.first_shift_percent(settings.config_name)
    if abs(configured - percent) > 1e-9:
        raise RefusedError(
            f"deployment group {ctx.group.name} shifts {configured:g} % first "
            f"({settings.config_name}), not {percent:g} %; the share is the market's "
            "`canary_percentage` in Terraform"
        )


def _pre_traffic_hook(
    ctx: ReleaseContext, target: PublishedVersion, warnings: list[str]
) -> str | None:
    hook = ctx.pre_traffic_hook
    if hook is None:
        warnings.append("no pre-traffic hook: the new version takes traffic unchecked")
        return None
    if not ctx.function.function_exists(hook):
        raise RefusedError(
            f"pre-traffic hook function {hook} not found; set RELEASE_PRE_TRAFFIC_HOOK to "
            "`terraform output -raw pre_traffic_hook_function_name`"
        )
    if target.model_sha256 is None:
        raise RefusedError(
            f"version {target.version} has no recorded model SHA-256, so the pre-traffic hook "
            "cannot check what it serves; deploy the image again with --model-sha256"
        )
    return hook


def _point_alarms(
    ctx: ReleaseContext, settings: GroupSettings, target: PublishedVersion, warnings: list[str]
) -> list[str]:
    if not settings.alarms_enabled or not settings.alarm_names:
        raise RefusedError(
            f"deployment group {ctx.group.name} watches no alarms: a canary nobody watches "
            "cannot roll back by itself (Terraform: the inference module's canary alarms)"
        )
    pointed = ctx.alarms(settings.alarm_names).point_at(target.version, target.model_version)
    if not pointed:
        warnings.append(
            "none of the group's alarms is per-version: the canary is judged on the whole alias"
        )
    return pointed
