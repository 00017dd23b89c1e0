"""The market's CodeDeploy deployment group, which can also shift the ``live`` alias.

The infra's pipeline deploys through CodeDeploy (canary 10% for 5 minutes, automatic rollback on
alarms); this tool is the operator's path. Two controllers moving one alias at the same time
undo each other's work, so traffic-moving commands refuse while CodeDeploy is mid-deployment,
and rollback stops CodeDeploy (with its own automatic rollback) before touching the alias.
"""

from __future__ import annotations

from typing import Any

from release_tool.errors import ConfigurationError
from release_tool.lambda_function import aws_errors

# Every status in which a Lambda deployment may still move traffic.
ACTIVE_STATUSES = ["Created", "Queued", "InProgress", "Baking", "Ready"]


class CodeDeployGuard:
    def __init__(self, client: Any, application: str | None, group: str | None) -> None:
        if bool(application) != bool(group):
            raise ConfigurationError(
                "set both the CodeDeploy application and deployment group, or neither "
                "(RELEASE_CODEDEPLOY_APPLICATION / RELEASE_CODEDEPLOY_GROUP)"
            )
        self._client = client
        self.application = application
        self.group = group

    @property
    def configured(self) -> bool:
        return bool(self.application and self.group)

    def active_deployments(self) -> list[str]:
        if not self.configured:
            return []
        deployments: list[str] = []
        with aws_errors(f"listing CodeDeploy deployments of {self.application}/{self.group}"):
            paginator = self._client.get_paginator("list_deployments")
            for page in paginator.paginate(
                applicationName=self.application,
                deploymentGroupName=self.group,
                includeOnlyStatuses=ACTIVE_STATUSES,
            ):
                deployments.extend(page.get("deployments", []))
        return deployments

    def stop_with_rollback(self, deployment_id: str) -> None:
        with aws_errors(f"stopping CodeDeploy deployment {deployment_id}"):
            self._client.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)


def stop_command(deployment_id: str) -> str:
    return f"aws deploy stop-deployment --deployment-id {deployment_id} --auto-rollback-enabled"
