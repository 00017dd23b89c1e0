"""The market's CodeDeploy deployment group: the one controller of the ``live`` alias.

CodeDeploy shifts the alias (canary per the group's deployment configuration), runs the
pre-traffic hook, watches the group's alarms and rolls back by itself. This module starts,
reads, stops and waits for its deployments; it never moves the alias itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from release_tool.appspec import LambdaAppSpec
from release_tool.aws import aws_errors, wait, waiter_reason
from release_tool.errors import ConfigurationError, ReleaseError
from release_tool.records import DeploymentNote

# Every status in which a Lambda deployment may still move traffic.
ACTIVE_STATUSES = ["Created", "Queued", "InProgress", "Baking", "Ready"]
ALL_AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce"
# The deployment CodeDeploy creates itself to roll a stopped or failed one back.
ROLLBACK_CREATOR = "codeDeployRollback"
_BATCH = 25  # BatchGetDeployments accepts at most 25 ids


@dataclass(frozen=True)
class GroupSettings:
    application: str
    group: str
    config_name: str
    alarms_enabled: bool
    alarm_names: list[str]
    auto_rollback_enabled: bool


@dataclass(frozen=True)
class Deployment:
    deployment_id: str
    status: str
    appspec: LambdaAppSpec | None
    config_name: str
    creator: str
    note: DeploymentNote | None
    created_at: str | None
    completed_at: str | None
    error_code: str | None
    error_message: str | None
    rollback_deployment_id: str | None  # the rollback CodeDeploy ran for this one
    rolls_back: str | None  # for a rollback by CodeDeploy: the deployment it undid

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_rollback(self) -> bool:
        """A redeploy of an older version: by CodeDeploy itself or `release rollback`."""
        return self.creator == ROLLBACK_CREATOR or (
            self.note is not None and self.note.op == "rollback"
        )

    def describe(self) -> str:
        moves = (
            f"{self.appspec.current_version} -> {self.appspec.target_version}"
            if self.appspec
            else "?"
        )
        error = f" ({self.error_code}: {self.error_message})" if self.error_code else ""
        return f"{self.deployment_id} {self.status} version {moves}{error}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["appspec"] = asdict(self.appspec) if self.appspec else None
        data["note"] = asdict(self.note) if self.note else None
        return data


class CodeDeployGroup:
    def __init__(self, client: Any, application: str, group: str) -> None:
        if not application or not group:
            raise ConfigurationError(
                "which CodeDeploy deployment group? set RELEASE_CODEDEPLOY_APPLICATION and "
                "RELEASE_CODEDEPLOY_GROUP (terraform outputs codedeploy_app_name and "
                "codedeploy_deployment_group_name)"
            )
        self._client = client
        self.application = application
        self.group = group

    @property
    def name(self) -> str:
        return f"{self.application}/{self.group}"

    def settings(self) -> GroupSettings:
        with aws_errors(f"reading CodeDeploy deployment group {self.name}"):
            info = self._client.get_deployment_group(
                applicationName=self.application, deploymentGroupName=self.group
            )["deploymentGroupInfo"]
        alarms = info.get("alarmConfiguration") or {}
        rollback = info.get("autoRollbackConfiguration") or {}
        return GroupSettings(
            application=self.application,
            group=self.group,
            config_name=str(info.get("deploymentConfigName") or ""),
            alarms_enabled=bool(alarms.get("enabled")),
            alarm_names=[alarm["name"] for alarm in alarms.get("alarms", [])],
            auto_rollback_enabled=bool(rollback.get("enabled")),
        )

    def first_shift_percent(self, config_name: str) -> float:
        """Share of traffic the configuration moves first (100 for all-at-once)."""
        with aws_errors(f"reading CodeDeploy deployment configuration {config_name}"):
            info = self._client.get_deployment_config(deploymentConfigName=config_name)[
                "deploymentConfigInfo"
            ]
        routing = info.get("trafficRoutingConfig") or {}
        if routing.get("type") == "TimeBasedCanary":
            return float(routing["timeBasedCanary"]["canaryPercentage"])
        if routing.get("type") == "TimeBasedLinear":
            return float(routing["timeBasedLinear"]["linearPercentage"])
        return 100.0

    def get(self, deployment_id: str) -> Deployment:
        with aws_errors(f"reading CodeDeploy deployment {deployment_id}"):
            info = self._client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return _deployment(info)

    def deployments(self, statuses: list[str] | None = None) -> list[Deployment]:
        """The group's deployments (only ``statuses`` if given), newest first."""
        ids: list[str] = []
        params: dict[str, Any] = {"applicationName": self.application}
        params["deploymentGroupName"] = self.group
        if statuses:
            params["includeOnlyStatuses"] = statuses
        with aws_errors(f"listing CodeDeploy deployments of {self.name}"):
            for page in self._client.get_paginator("list_deployments").paginate(**params):
                ids.extend(page.get("deployments", []))
            infos: list[dict[str, Any]] = []
            for start in range(0, len(ids), _BATCH):
                batch = self._client.batch_get_deployments(
                    deploymentIds=ids[start : start + _BATCH]
                )
                infos.extend(batch.get("deploymentsInfo", []))
        found = [_deployment(info) for info in infos]
        return sorted(found, key=lambda d: (d.created_at or "", d.deployment_id), reverse=True)

    def active(self) -> Deployment | None:
        active = self.deployments(ACTIVE_STATUSES)
        return active[0] if active else None

    def create(
        self,
        appspec: LambdaAppSpec,
        note: DeploymentNote,
        *,
        config_name: str | None = None,
        alarms_off: bool = False,
    ) -> str:
        params: dict[str, Any] = {
            "applicationName": self.application,
            "deploymentGroupName": self.group,
            "revision": appspec.revision(),
            "description": note.encode(),
        }
        if config_name:
            params["deploymentConfigName"] = config_name
        if alarms_off:
            # A rollback to a version that served before must not be "rolled back" by alarms
            # that fired because of the version being abandoned.
            params["overrideAlarmConfiguration"] = {"enabled": False, "alarms": []}
            params["autoRollbackConfiguration"] = {"enabled": False}
        with aws_errors(f"creating a CodeDeploy deployment in {self.name}"):
            response = self._client.create_deployment(**params)
        return str(response["deploymentId"])

    def stop_with_rollback(self, deployment_id: str) -> bool:
        """Stop it with CodeDeploy's own rollback; False if it had finished meanwhile."""
        with aws_errors(f"stopping CodeDeploy deployment {deployment_id}"):
            try:
                self._client.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
            except ClientError as error:
                if (
                    error.response.get("Error", {}).get("Code")
                    == "DeploymentAlreadyCompletedException"
                ):
                    return False
                raise
        return True

    def wait_until_done(
        self, deployment_id: str, timeout_seconds: float, poll_seconds: float | None
    ) -> Deployment:
        """Wait (boto3 waiter) until the deployment ends; returns it whatever its outcome.

        A deployment still running after the timeout is returned as it is (``active``).
        """
        try:
            wait(
                self._client,
                "deployment_successful",
                timeout_seconds,
                poll_seconds,
                deploymentId=deployment_id,
            )
        except WaiterError as error:
            if "Error" in (error.last_response or {}):
                raise ReleaseError(
                    f"waiting for CodeDeploy deployment {deployment_id}: {waiter_reason(error)}"
                ) from error
        return self.get(deployment_id)


def _timestamp(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    return str(value) if value else None


def _deployment(info: dict[str, Any]) -> Deployment:
    error = info.get("errorInformation") or {}
    rollback = info.get("rollbackInfo") or {}
    return Deployment(
        deployment_id=str(info["deploymentId"]),
        status=str(info.get("status", "")),
        appspec=LambdaAppSpec.from_revision(info.get("revision")),
        config_name=str(info.get("deploymentConfigName") or ""),
        creator=str(info.get("creator") or ""),
        note=DeploymentNote.decode(info.get("description")),
        created_at=_timestamp(info.get("createTime")),
        completed_at=_timestamp(info.get("completeTime")),
        error_code=error.get("code") or None,
        error_message=error.get("message") or None,
        rollback_deployment_id=rollback.get("rollbackDeploymentId") or None,
        rolls_back=rollback.get("rollbackTriggeringDeploymentId") or None,
    )


def stop_command(deployment_id: str) -> str:
    return f"aws deploy stop-deployment --deployment-id {deployment_id} --auto-rollback-enabled"
