"""The operations on one market, as Python: what the `release` command calls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release_tool.canary import canary
from release_tool.context import ReleaseContext
from release_tool.deploy import DEFAULT_TIMEOUT_SECONDS, DeployRequest, deploy
from release_tool.manifest import ReleaseManifest, manifest_of_live_release
from release_tool.promote import DEFAULT_PROMOTE_TIMEOUT_SECONDS, promote
from release_tool.results import DeploymentResult, DeployResult
from release_tool.rollback import rollback
from release_tool.status import status


@dataclass
class Release:
    context: ReleaseContext

    def deploy(
        self,
        image_uri: str,
        model_version: str,
        model_sha256: str | None = None,
        reason: str = "",
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> DeployResult:
        request = DeployRequest(image_uri, model_version, model_sha256, reason, timeout_seconds)
        return deploy(self.context, request)

    def deploy_manifest(
        self, path: Path, reason: str = "", timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ) -> DeployResult:
        manifest = ReleaseManifest.read(path)
        why = reason or f"{manifest.environment} release {manifest.git_commit[:12]}"
        request = DeployRequest(
            manifest.image_uri, manifest.model_version, manifest.model_sha256, why, timeout_seconds
        )
        return deploy(self.context, request)

    def canary(
        self,
        version: str | None = None,
        reason: str = "",
        percent: float | None = None,
        force: bool = False,
    ) -> DeploymentResult:
        return canary(self.context, version, reason, percent, force)

    def promote(
        self,
        timeout_seconds: float = DEFAULT_PROMOTE_TIMEOUT_SECONDS,
        poll_seconds: float | None = None,
    ) -> DeploymentResult:
        return promote(self.context, timeout_seconds, poll_seconds)

    def rollback(
        self,
        reason: str,
        to_version: str | None = None,
        timeout_seconds: float = DEFAULT_PROMOTE_TIMEOUT_SECONDS,
        poll_seconds: float | None = None,
    ) -> DeploymentResult:
        return rollback(self.context, reason, to_version, timeout_seconds, poll_seconds)

    def status(self, version_limit: int = 10, history_limit: int = 10) -> dict[str, Any]:
        return status(self.context, version_limit, history_limit)

    def manifest(self, **fields: str) -> ReleaseManifest:
        return manifest_of_live_release(self.context, **fields)
