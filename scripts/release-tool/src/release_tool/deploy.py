"""`release deploy`: publish a Lambda version running an image. Traffic does not move."""

from __future__ import annotations

from dataclasses import dataclass, replace

from release_tool.context import ReleaseContext
from release_tool.errors import RefusedError, ReleaseError
from release_tool.lambda_function import PublishedVersion, is_numbered_version
from release_tool.records import VersionRecord
from release_tool.results import DeployResult
from release_tool.validation import (
    validate_image_uri,
    validate_model_sha256,
    validate_model_version,
)

DEFAULT_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class DeployRequest:
    image_uri: str
    model_version: str
    model_sha256: str | None = None
    reason: str = ""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def validated(self) -> DeployRequest:
        return replace(
            self,
            image_uri=validate_image_uri(self.image_uri),
            model_version=validate_model_version(self.model_version),
            model_sha256=validate_model_sha256(self.model_sha256) if self.model_sha256 else None,
        )


def deploy(ctx: ReleaseContext, request: DeployRequest) -> DeployResult:
    """Publish a new version running ``request.image_uri``, or reuse an identical one."""
    request = request.validated()
    package = ctx.function.configuration().get("PackageType")
    if package != "Image":
        raise RefusedError(
            f"function {ctx.function.function_name} is a {package} package; "
            "`release deploy` only ships container images"
        )
    live = ctx.live_alias().stable_version
    published = ctx.function.published_versions()
    existing = _same_release(published, request)
    if existing is not None:
        return _result(ctx, request, existing.version, live, published_new=False)
    version = _publish(ctx, request, published[-1].number if published else 0)
    warnings = []
    if request.model_sha256 is None:
        warnings.append(
            "no --model-sha256: the pre-traffic hook will refuse this version (it checks the "
            "model hash /version reports against the one recorded here)"
        )
    return _result(ctx, request, version, live, published_new=True, warnings=warnings)


def _same_release(
    published: list[PublishedVersion], request: DeployRequest
) -> PublishedVersion | None:
    """The newest version if it already runs this image and model (an idempotent re-run)."""
    for existing in published:
        record = existing.record
        if (
            record
            and record.image_matches(request.image_uri)
            and (
                record.model_version != request.model_version
                or (request.model_sha256 and record.model_sha256 != request.model_sha256)
            )
        ):
            raise RefusedError(
                f"image {request.image_uri} is already published as version "
                f"{existing.version} with model {record.model_version} "
                f"({record.model_sha256[:12] or 'no hash'}); an image carries exactly one "
                "model, so build a new image for a new model"
            )
    newest = published[-1] if published else None
    if newest and newest.record and newest.record.image_matches(request.image_uri):
        return newest
    return None


def _publish(ctx: ReleaseContext, request: DeployRequest, latest_before: int) -> str:
    # Only the image changes: function configuration (environment, memory, VPC) belongs to
    # terraform, which would revert anything else at its next apply.
    ctx.function.wait_until_updated(request.timeout_seconds)
    code_sha256 = ctx.function.update_image(request.image_uri)
    ctx.function.wait_until_updated(request.timeout_seconds)
    description = VersionRecord(
        model_version=request.model_version,
        model_sha256=request.model_sha256 or "",
        image=request.image_uri,
        by=ctx.actor,
        why=request.reason,
    ).encode()
    published = ctx.function.publish_version(description, code_sha256)
    version = str(published["Version"])
    if not is_numbered_version(version) or int(version) <= latest_before:
        # Lambda hands back the last version when neither code nor configuration changed.
        raise RefusedError(
            f"image {request.image_uri} is already published as version {version}; build a new "
            f"image for a new model, or canary that version (`release canary --version {version}`)"
        )
    if code_sha256 and published.get("CodeSha256") not in (None, code_sha256):
        raise ReleaseError(
            f"version {version} does not run the image just deployed (code SHA "
            f"{published.get('CodeSha256')} != {code_sha256}): the function was changed "
            "concurrently; do not route traffic to it"
        )
    ctx.function.wait_until_active(version, request.timeout_seconds)
    return version


def _result(
    ctx: ReleaseContext,
    request: DeployRequest,
    version: str,
    live: str,
    *,
    published_new: bool,
    warnings: list[str] | None = None,
) -> DeployResult:
    notes = list(warnings or [])
    if not published_new:
        notes.append(f"version {version} already runs this image and model; nothing published")
    return DeployResult(
        function_name=ctx.function.function_name,
        version=version,
        model_version=request.model_version,
        model_sha256=request.model_sha256,
        image_uri=request.image_uri,
        published_new_version=published_new,
        live_version=live,
        warnings=notes,
    )
