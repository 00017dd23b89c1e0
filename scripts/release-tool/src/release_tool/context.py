"""What every operation works on: the function, its deployment group, the alarms, the actor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from release_tool.alarms import CanaryAlarms
from release_tool.codedeploy import CodeDeployGroup, Deployment, stop_command
from release_tool.errors import RefusedError
from release_tool.lambda_function import AliasState, LambdaFunction, is_numbered_version


@dataclass
class ReleaseContext:
    function: LambdaFunction
    group: CodeDeployGroup
    cloudwatch: Any
    actor_source: Callable[[], str]
    pre_traffic_hook: str | None
    _actor: str | None = field(default=None, init=False)

    @property
    def actor(self) -> str:
        if self._actor is None:
            self._actor = self.actor_source()
        return self._actor

    def alarms(self, names: list[str]) -> CanaryAlarms:
        return CanaryAlarms(self.cloudwatch, names)

    def live_alias(self) -> AliasState:
        alias = self.function.alias_state()
        if not is_numbered_version(alias.stable_version):
            raise RefusedError(
                f"alias {alias.name!r} points at {alias.stable_version}, not a published version; "
                "point it at a numbered version (terraform) before releasing"
            )
        return alias

    def refuse_when_active(self, action: str) -> None:
        active = self.group.active()
        if active is not None:
            raise RefusedError(
                f"refusing to {action}: CodeDeploy deployment {active.describe()} of "
                f"{self.group.name} is in progress. Wait for it (`release promote`) or stop it "
                f"(`release rollback`, or {stop_command(active.deployment_id)})"
            )

    def recent_versions_hint(self) -> str:
        recent = self.function.published_versions()[-5:]
        listed = ", ".join(
            f"{version.version} (model {version.model_version or '?'})" for version in recent
        )
        return f"Recent versions: {listed or 'none'}."


def moved_by(deployment: Deployment) -> tuple[str, str]:
    """(from, to) versions of a deployment, '?' when its AppSpec cannot be read."""
    if deployment.appspec is None:
        return "?", "?"
    return deployment.appspec.current_version, deployment.appspec.target_version
