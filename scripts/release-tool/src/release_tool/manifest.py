"""The release manifest: what passed one environment, for the next one to deploy unchanged.

The staging pipeline writes it (`release manifest`) only after its canary succeeded, from what
is live; the prod pipeline deploys from it (`release deploy --manifest`), so prod runs exactly
the image digest and model hash that passed staging, without rebuilding anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from release_tool.context import ReleaseContext, moved_by
from release_tool.errors import RefusedError
from release_tool.validation import (
    ECR_IMAGE_URI,
    validate_image_uri,
    validate_model_sha256,
    validate_model_version,
)

SCHEMA = "credit-risk-release/1"
_GIT_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class ReleaseManifest:
    market: str
    environment: str  # where it passed
    git_commit: str
    image_uri: str  # <repository>@sha256:<digest>
    model_name: str
    model_version: str
    model_sha256: str
    bundle_prefix: str  # s3://<artifacts>/bundles/<model>/v<version>-<sha12>/
    function_version: str
    deployment_id: str
    released_at: str

    def validated(self) -> ReleaseManifest:
        match = ECR_IMAGE_URI.match(validate_image_uri(self.image_uri))
        if match is None or not match.group("digest"):
            raise RefusedError(f"manifest image {self.image_uri} is not pinned by digest")
        if not _GIT_COMMIT.match(self.git_commit):
            raise RefusedError(f"manifest git_commit {self.git_commit!r} is not a full SHA-1")
        if not self.bundle_prefix.startswith("s3://") or not self.bundle_prefix.endswith("/"):
            raise RefusedError(f"manifest bundle_prefix {self.bundle_prefix!r} is not s3://.../")
        validate_model_version(self.model_version)
        validate_model_sha256(self.model_sha256)
        return self

    def to_json(self) -> str:
        return json.dumps({"schema": SCHEMA, **asdict(self)}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, path: Path) -> ReleaseManifest:
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise RefusedError(f"cannot read release manifest {path}: {error}") from error
        if data.get("schema") != SCHEMA:
            raise RefusedError(f"{path} is not a {SCHEMA} manifest (schema {data.get('schema')!r})")
        fields = set(cls.__dataclass_fields__)
        missing = fields - data.keys()
        if missing:
            raise RefusedError(f"release manifest {path} lacks {', '.join(sorted(missing))}")
        return cls(**{name: str(data[name]) for name in fields}).validated()


def manifest_of_live_release(
    ctx: ReleaseContext,
    *,
    image_uri: str,
    market: str,
    environment: str,
    git_commit: str,
    model_name: str,
    bundle_prefix: str,
) -> ReleaseManifest:
    """The manifest of what serves now, refused unless a deployment put it there and finished."""
    ctx.refuse_when_active("write a release manifest")
    alias = ctx.live_alias()
    history = ctx.group.deployments()
    last = history[0] if history else None
    if last is None or last.is_rollback or last.status != "Succeeded":
        raise RefusedError(
            f"the last deployment ({last.describe() if last else 'none'}) is not a successful "
            "release: nothing passed to promote"
        )
    if moved_by(last)[1] != alias.stable_version or alias.shifting:
        raise RefusedError(f"alias {alias.name!r} does not serve what {last.deployment_id} shipped")
    record = ctx.function.version(alias.stable_version).record
    if record is None or not record.image_matches(image_uri) or not record.model_sha256:
        raise RefusedError(
            f"live version {alias.stable_version} was not published from {image_uri} with a "
            "model hash (`release deploy --model-sha256`)"
        )
    return ReleaseManifest(
        market=market,
        environment=environment,
        git_commit=git_commit,
        image_uri=image_uri,
        model_name=model_name,
        model_version=record.model_version,
        model_sha256=record.model_sha256,
        bundle_prefix=bundle_prefix,
        function_version=alias.stable_version,
        deployment_id=last.deployment_id,
        released_at=datetime.now(UTC).isoformat(timespec="seconds"),
    ).validated()
