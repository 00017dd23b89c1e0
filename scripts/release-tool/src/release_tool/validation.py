"""Checks of operator input, before any AWS call."""

from __future__ import annotations

import re

from release_tool.errors import RefusedError

# Lambda only runs images from ECR; a tag or a digest is required so the version is traceable.
ECR_IMAGE_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
MODEL_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def require_reason(reason: str, operation: str) -> str:
    """Traffic-moving decisions are audited: an empty reason is refused."""
    text = reason.strip()
    if not text:
        raise RefusedError(
            f"--reason is required for {operation}: say why (ticket, incident, 'bake clean')"
        )
    return text


def validate_image_uri(image_uri: str) -> str:
    uri = image_uri.strip()
    if not ECR_IMAGE_URI.match(uri):
        raise RefusedError(
            f"image URI {image_uri!r} is not an ECR image reference with a tag or digest, e.g. "
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk-inference@sha256:<digest>"
        )
    return uri


def validate_model_version(model_version: str) -> str:
    version = model_version.strip()
    if not MODEL_VERSION.match(version):
        raise RefusedError(
            f"model version {model_version!r} must be 1-64 characters of letters, digits, "
            "'.', '_' or '-' (the registry version of the bundle baked into the image)"
        )
    return version


def validate_model_sha256(model_sha256: str) -> str:
    digest = model_sha256.strip().lower()
    if not SHA256_HEX.match(digest):
        raise RefusedError(
            f"model SHA-256 {model_sha256!r} must be 64 hex characters (metadata.json "
            "`model_sha256` of the bundle baked into the image)"
        )
    return digest
