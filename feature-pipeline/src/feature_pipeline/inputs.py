"""The raw input: where Spark reads it from, and its fingerprint.

Locally there are no hadoop-aws jars, so an s3:// input is downloaded with boto3 before Spark
reads it; on Glue (native_s3) Spark reads s3:// itself and the object's ETag is the fingerprint.
boto3 takes its endpoint from AWS_ENDPOINT_URL, which is how the same code runs against an
emulator (feature_pipeline.aws adds the region of AWS_REGION).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from feature_pipeline import aws
from feature_pipeline.errors import InputError
from feature_pipeline.location import LocalPath, Location, S3Location

_HASH_CHUNK = 8 * 1024 * 1024


def s3_client() -> Any:
    return aws.client("s3")


@dataclass(frozen=True)
class ResolvedInput:
    source: str  # what the user passed
    spark_path: str  # what Spark reads
    fingerprint: str  # "sha256:<hex>" (content) or "s3-etag:<etag>" (Glue, no download)
    size_bytes: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_input(location: Location, workdir: Path, native_s3: bool = False) -> ResolvedInput:
    if isinstance(location, LocalPath):
        return _resolve_local(location)
    return _resolve_s3(location, workdir, native_s3)


def _resolve_local(location: LocalPath) -> ResolvedInput:
    path = location.path
    if not path.is_file():
        raise InputError(f"input file {location.uri!r} does not exist or is not a file")
    return ResolvedInput(
        location.uri, str(path.resolve()), f"sha256:{sha256_of(path)}", path.stat().st_size
    )


def _resolve_s3(location: S3Location, workdir: Path, native_s3: bool) -> ResolvedInput:
    client = s3_client()
    try:
        head = client.head_object(Bucket=location.bucket, Key=location.key)
    except client.exceptions.ClientError as error:
        raise InputError(f"cannot read input object {location.uri}: {error}") from error
    if native_s3:
        etag = str(head["ETag"]).strip('"')
        return ResolvedInput(
            location.uri, location.uri, f"s3-etag:{etag}", int(head["ContentLength"])
        )
    local = workdir / "input" / Path(location.key).name
    local.parent.mkdir(parents=True, exist_ok=True)
    client.download_file(location.bucket, location.key, str(local))
    return ResolvedInput(
        location.uri, str(local), f"sha256:{sha256_of(local)}", local.stat().st_size
    )
