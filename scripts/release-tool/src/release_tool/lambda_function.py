"""The market's inference Lambda function and its traffic alias, seen through boto3."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import WaiterError

from release_tool.aws import aws_errors, wait, waiter_reason
from release_tool.errors import RefusedError, ReleaseError
from release_tool.records import VersionRecord

# Versions published by other paths (terraform, console) may carry the model version here.
MODEL_VERSION_ENV = "MODEL_VERSION"
_NUMBERED_VERSION = re.compile(r"^[1-9][0-9]*$")


def is_numbered_version(version: str) -> bool:
    return bool(_NUMBERED_VERSION.match(version))


@dataclass(frozen=True)
class AliasState:
    """Where the alias sends traffic right now."""

    name: str
    stable_version: str  # FunctionVersion: receives 1 - canary_weight of the traffic
    canary_version: str | None  # the one AdditionalVersionWeights entry, if any
    canary_weight: float  # 0..1

    @property
    def shifting(self) -> bool:
        return self.canary_version is not None

    def traffic(self) -> dict[str, float]:
        shares = {self.stable_version: round(1.0 - self.canary_weight, 6)}
        if self.canary_version is not None:
            shares[self.canary_version] = round(self.canary_weight, 6)
        return shares


@dataclass(frozen=True)
class PublishedVersion:
    version: str
    description: str
    state: str | None
    last_modified: str | None
    environment: dict[str, str]

    @property
    def record(self) -> VersionRecord | None:
        return VersionRecord.decode(self.description)

    @property
    def model_version(self) -> str | None:
        record = self.record
        if record is not None:
            return record.model_version
        return self.environment.get(MODEL_VERSION_ENV)

    @property
    def model_sha256(self) -> str | None:
        record = self.record
        return record.model_sha256 or None if record is not None else None

    @property
    def number(self) -> int:
        return int(self.version)


class LambdaFunction:
    """One function and its traffic alias; every method is a thin, checked boto3 call."""

    def __init__(self, client: Any, function_name: str, alias: str) -> None:
        self._client = client
        self.function_name = function_name
        self.alias = alias

    # --- reading ---------------------------------------------------------------------------

    def configuration(self, qualifier: str | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"FunctionName": self.function_name}
        if qualifier is not None:
            kwargs["Qualifier"] = qualifier
        target = self.function_name if qualifier is None else f"{self.function_name}:{qualifier}"
        with aws_errors(f"reading function {target}"):
            config: dict[str, Any] = self._client.get_function_configuration(**kwargs)
        return config

    def alias_state(self) -> AliasState:
        with aws_errors(f"reading alias {self.alias!r} of function {self.function_name}"):
            alias = self._client.get_alias(FunctionName=self.function_name, Name=self.alias)
        weights: dict[str, float] = (alias.get("RoutingConfig") or {}).get(
            "AdditionalVersionWeights"
        ) or {}
        # Lambda allows one additional version; a zero weight is no shift at all.
        shifted = [(version, float(weight)) for version, weight in weights.items() if weight > 0]
        if len(shifted) > 1:
            raise ReleaseError(f"alias {self.alias!r} routes to several versions {weights}")
        return AliasState(
            name=self.alias,
            stable_version=str(alias["FunctionVersion"]),
            canary_version=shifted[0][0] if shifted else None,
            canary_weight=shifted[0][1] if shifted else 0.0,
        )

    def published_versions(self) -> list[PublishedVersion]:
        """Every numbered version, oldest first ($LATEST is not a release)."""
        versions: list[PublishedVersion] = []
        with aws_errors(f"listing versions of function {self.function_name}"):
            paginator = self._client.get_paginator("list_versions_by_function")
            for page in paginator.paginate(FunctionName=self.function_name):
                for item in page.get("Versions", []):
                    if is_numbered_version(str(item["Version"])):
                        versions.append(_published_version(item))
        return sorted(versions, key=lambda version: version.number)

    def version(self, version: str) -> PublishedVersion:
        """A published version, or a refusal naming the versions that do exist."""
        if not is_numbered_version(version):
            raise RefusedError(
                f"{version!r} is not a published version number; traffic can only go to "
                "immutable numbered versions, never to $LATEST"
            )
        try:
            config = self.configuration(version)
        except RefusedError as error:
            existing = [v.version for v in self.published_versions()]
            raise RefusedError(
                f"version {version} of function {self.function_name} does not exist "
                f"(published versions: {', '.join(existing) or 'none'})"
            ) from error
        return _published_version(config)

    def function_exists(self, name: str) -> bool:
        try:
            with aws_errors(f"reading function {name}"):
                self._client.get_function_configuration(FunctionName=name)
        except RefusedError:
            return False
        return True

    # --- writing ---------------------------------------------------------------------------

    def update_image(self, image_uri: str) -> str:
        """Point $LATEST at a new container image; returns the new code SHA-256."""
        with aws_errors(f"updating image of function {self.function_name}"):
            response = self._client.update_function_code(
                FunctionName=self.function_name, ImageUri=image_uri
            )
        return str(response.get("CodeSha256", ""))

    def publish_version(self, description: str, code_sha256: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"FunctionName": self.function_name, "Description": description}
        if code_sha256:
            # AWS refuses to publish if $LATEST's code changed under us since our update.
            kwargs["CodeSha256"] = code_sha256
        with aws_errors(f"publishing a version of function {self.function_name}"):
            published: dict[str, Any] = self._client.publish_version(**kwargs)
        return published

    # --- waiting (boto3 waiters) -----------------------------------------------------------

    def wait_until_updated(self, timeout_seconds: float) -> None:
        """$LATEST's last update finished (image updates stay InProgress for a while)."""
        try:
            wait(
                self._client,
                "function_updated_v2",
                timeout_seconds,
                FunctionName=self.function_name,
            )
        except WaiterError as error:
            raise ReleaseError(
                f"update of function {self.function_name} did not succeed within "
                f"{timeout_seconds:.0f}s: {_lambda_reason(error, 'LastUpdateStatus')}"
            ) from error

    def wait_until_active(self, version: str, timeout_seconds: float) -> None:
        """A published image version is Active (it starts Pending while Lambda optimises it)."""
        try:
            wait(
                self._client,
                "published_version_active",
                timeout_seconds,
                FunctionName=self.function_name,
                Qualifier=version,
            )
        except WaiterError as error:
            raise ReleaseError(
                f"version {version} of function {self.function_name} did not become Active "
                f"within {timeout_seconds:.0f}s: {_lambda_reason(error, 'State')}"
            ) from error


def _lambda_reason(error: WaiterError, field: str) -> str:
    """Lambda's own words for a failed update or version (e.g. ImagePullFailed: ...)."""
    last: dict[str, Any] = dict(error.last_response or {})
    config: dict[str, Any] = last.get("Configuration", last)
    status = config.get(field)
    code = config.get(f"{field}ReasonCode") or config.get(
        f"{field.removesuffix('Status')}ReasonCode"
    )
    reason = config.get(f"{field}Reason") or config.get(f"{field.removesuffix('Status')}Reason")
    if status and (code or reason):
        return f"{status}: {code or ''} {reason or ''}".strip()
    return waiter_reason(error)


def _published_version(config: dict[str, Any]) -> PublishedVersion:
    return PublishedVersion(
        version=str(config["Version"]),
        description=config.get("Description", "") or "",
        state=config.get("State"),
        last_modified=config.get("LastModified"),
        environment=dict((config.get("Environment") or {}).get("Variables") or {}),
    )
