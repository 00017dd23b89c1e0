"""What the operations return: plain data for JSON output and the human summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeployResult:
    function_name: str
    version: str
    model_version: str
    model_sha256: str | None
    image_uri: str
    published_new_version: bool
    live_version: str
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"operation": "deploy", **asdict(self)}


@dataclass(frozen=True)
class DeploymentResult:
    operation: str  # canary | promote | rollback
    function_name: str
    alias: str
    deployment_id: str
    deployment_status: str
    from_version: str
    to_version: str
    traffic: dict[str, float]
    detail: str
    alarms_pointed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
