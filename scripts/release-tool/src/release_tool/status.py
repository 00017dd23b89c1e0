"""`release status`: where traffic is, what each version serves, what CodeDeploy is doing."""

from __future__ import annotations

from typing import Any

from release_tool.context import ReleaseContext
from release_tool.errors import ReleaseError
from release_tool.lambda_function import PublishedVersion


def status(ctx: ReleaseContext, version_limit: int = 10, history_limit: int = 10) -> dict[str, Any]:
    """Everything an operator needs to decide the next step, as plain data."""
    alias = ctx.function.alias_state()
    traffic = alias.traffic()
    versions = ctx.function.published_versions()
    shown = [
        version
        for index, version in enumerate(versions)
        if index >= len(versions) - version_limit or version.version in traffic
    ]
    rows = [_version_row(version, traffic) for version in shown]
    codedeploy = _codedeploy(ctx, history_limit)
    active = codedeploy.get("active")
    return {
        "function_name": ctx.function.function_name,
        "alias": alias.name,
        "phase": "canary" if alias.shifting or active else "stable",
        "stable_version": alias.stable_version,
        "canary_version": alias.canary_version,
        "canary_weight": alias.canary_weight,
        "traffic": traffic,
        "model_versions": {row["version"]: row["model_version"] for row in rows if row["serving"]},
        "versions": rows,
        "codedeploy": codedeploy,
    }


def _codedeploy(ctx: ReleaseContext, history_limit: int) -> dict[str, Any]:
    report: dict[str, Any] = {
        "application": ctx.group.application,
        "deployment_group": ctx.group.group,
        "pre_traffic_hook": ctx.pre_traffic_hook,
        "active": None,
        "history": [],
        "alarms": [],
    }
    try:
        settings = ctx.group.settings()
        history = ctx.group.deployments()
    except ReleaseError as error:
        report["error"] = str(error)
        return report
    report["deployment_config"] = settings.config_name
    report["alarms_enabled"] = settings.alarms_enabled
    report["history"] = [deployment.as_dict() for deployment in history[:history_limit]]
    active = [deployment for deployment in history if deployment.active]
    report["active"] = active[0].as_dict() if active else None
    try:
        states = ctx.alarms(settings.alarm_names).states() if settings.alarm_names else []
        report["alarms"] = [state.as_dict() for state in states]
    except ReleaseError as error:
        report["alarms_error"] = str(error)
    return report


def _version_row(version: PublishedVersion, traffic: dict[str, float]) -> dict[str, Any]:
    record = version.record
    return {
        "version": version.version,
        "model_version": version.model_version,
        "model_sha256": version.model_sha256,
        "image_uri": record.image if record and record.image else None,
        "state": version.state,
        "published_at": version.last_modified,
        "published_by": record.by if record else None,
        "reason": record.why if record else None,
        "weight": traffic.get(version.version, 0.0),
        "serving": version.version in traffic,
    }
