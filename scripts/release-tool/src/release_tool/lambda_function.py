"""The market's inference Lambda function and its traffic alias, seen through boto3."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from release_tool.errors import RefusedError, ReleaseError
from release_tool.records import AliasRecord, VersionRecord

# Versions published by other paths (CI, console) may carry the model version in this variable.
MODEL_VERSION_ENV = "MODEL_VERSION"
_NUMBERED_VERSION = re.compile(r"^[1-9][0-9]*$")


@dataclass(frozen=True)
class AliasState:
    """Where the alias sends traffic right now."""

    name: str
    stable_version: str  # FunctionVersion: receives 1 - canary_weight of the traffic
    canary_version: str | None  # the one AdditionalVersionWeights entry, if any
    canary_weight: float  # 0..1
    description: str
    revision_id: str | None

    @property
    def canary_in_progress(self) -> bool:
        return self.canary_version is not None

    @property
    def record(self) -> AliasRecord | None:
        return AliasRecord.decode(self.description)

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
    code_sha256: str | None
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
    def number(self) -> int:
        return int(self.version)


def is_numbered_version(version: str) -> bool:
    return bool(_NUMBERED_VERSION.match(version))


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn boto errors into ReleaseErrors that say what was being done."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code == "ResourceNotFoundException":
            raise RefusedError(f"{action}: not found ({message})") from error
        if code == "PreconditionFailedException":
            raise RefusedError(
                f"{action}: the alias changed while this command ran (someone else is "
                "releasing?); re-run `release status` and try again"
            ) from error
        raise ReleaseError(f"{action}: {code or 'AWS error'}: {message}") from error
    except BotoCoreError as error:
        raise ReleaseError(f"{action}: {error}") from error


class LambdaFunction:
    """One function and its traffic alias; every method is a thin, checked boto3 call."""

    def __init__(
        self,
        client: Any,
        function_name: str,
        alias: str,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.function_name = function_name
        self.alias = alias
        self._sleep = sleep
        self._clock = clock
        self._function_arn: str | None = None

    # --- reading ---------------------------------------------------------------------------

    def configuration(self, qualifier: str | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"FunctionName": self.function_name}
        if qualifier is not None:
            kwargs["Qualifier"] = qualifier
        target = self.function_name if qualifier is None else f"{self.function_name}:{qualifier}"
        with aws_errors(f"reading function {target}"):
            config: dict[str, Any] = self._client.get_function_configuration(**kwargs)
        return config

    def function_arn(self) -> str:
        if self._function_arn is None:
            arn: str = self.configuration()["FunctionArn"]
            # A qualified ARN (…:function:name:qualifier) cannot carry tags.
            self._function_arn = ":".join(arn.split(":")[:7])
        return self._function_arn

    def alias_state(self) -> AliasState:
        with aws_errors(f"reading alias {self.alias!r} of function {self.function_name}"):
            alias = self._client.get_alias(FunctionName=self.function_name, Name=self.alias)
        weights: dict[str, float] = (alias.get("RoutingConfig") or {}).get(
            "AdditionalVersionWeights"
        ) or {}
        # Lambda allows one additional version; a zero weight is no canary at all.
        canary = [(version, float(weight)) for version, weight in weights.items() if weight > 0]
        if len(canary) > 1:
            raise ReleaseError(
                f"alias {self.alias!r} routes to several additional versions {weights}; "
                "this tool only manages a single canary"
            )
        return AliasState(
            name=self.alias,
            stable_version=str(alias["FunctionVersion"]),
            canary_version=canary[0][0] if canary else None,
            canary_weight=canary[0][1] if canary else 0.0,
            description=alias.get("Description", "") or "",
            revision_id=alias.get("RevisionId"),
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

    def tags(self) -> dict[str, str]:
        with aws_errors(f"reading tags of function {self.function_name}"):
            tags: dict[str, str] = self._client.list_tags(Resource=self.function_arn()).get(
                "Tags", {}
            )
        return tags

    # --- writing ---------------------------------------------------------------------------

    def update_alias(
        self,
        *,
        function_version: str,
        canary: tuple[str, float] | None,
        description: str,
        revision_id: str | None,
    ) -> AliasState:
        """Point the alias in one call (atomic for callers of the alias)."""
        weights = {} if canary is None else {canary[0]: round(canary[1], 5)}
        kwargs: dict[str, Any] = {
            "FunctionName": self.function_name,
            "Name": self.alias,
            "FunctionVersion": function_version,
            "Description": description,
            "RoutingConfig": {"AdditionalVersionWeights": weights},
        }
        if revision_id:
            # Optimistic lock: AWS rejects the update if the alias changed since we read it.
            kwargs["RevisionId"] = revision_id
        with aws_errors(f"updating alias {self.alias!r} of function {self.function_name}"):
            self._client.update_alias(**kwargs)
        state = self.alias_state()
        expected_canary = None if canary is None else canary[0]
        if state.stable_version != function_version or state.canary_version != expected_canary:
            raise ReleaseError(
                f"alias {self.alias!r} did not take the update: it routes {state.traffic()}"
            )
        return state

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

    def tag(self, tags: dict[str, str]) -> None:
        with aws_errors(f"tagging function {self.function_name}"):
            self._client.tag_resource(Resource=self.function_arn(), Tags=tags)

    # --- waiting ---------------------------------------------------------------------------

    def wait_until_updated(self, timeout_seconds: float, poll_seconds: float = 2.0) -> None:
        """Wait for $LATEST's last update to finish; fail if it failed or took too long."""
        deadline = self._clock() + timeout_seconds
        while True:
            config = self.configuration()
            status = config.get("LastUpdateStatus") or "Successful"
            if status == "Successful":
                return
            if status == "Failed":
                raise ReleaseError(
                    f"update of function {self.function_name} failed: "
                    f"{config.get('LastUpdateStatusReasonCode', '')} "
                    f"{config.get('LastUpdateStatusReason', '')}".strip()
                )
            if self._clock() >= deadline:
                raise ReleaseError(
                    f"update of function {self.function_name} still {status} after "
                    f"{timeout_seconds:.0f}s"
                )
            self._sleep(poll_seconds)

    def wait_until_active(
        self, version: str, timeout_seconds: float, poll_seconds: float = 2.0
    ) -> None:
        """Wait for a published version to be Active (image versions start Pending)."""
        deadline = self._clock() + timeout_seconds
        while True:
            config = self.configuration(version)
            state = config.get("State") or "Active"
            if state == "Active":
                return
            if state == "Failed":
                raise ReleaseError(
                    f"version {version} of function {self.function_name} failed to become "
                    f"active: {config.get('StateReasonCode', '')} {config.get('StateReason', '')}"
                )
            if self._clock() >= deadline:
                raise ReleaseError(f"version {version} still {state} after {timeout_seconds:.0f}s")
            self._sleep(poll_seconds)


def _published_version(config: dict[str, Any]) -> PublishedVersion:
    return PublishedVersion(
        version=str(config["Version"]),
        description=config.get("Description", "") or "",
        state=config.get("State"),
        last_modified=config.get("LastModified"),
        code_sha256=config.get("CodeSha256"),
        environment=dict((config.get("Environment") or {}).get("Variables") or {}),
    )
