"""Local paths and ``s3://`` URIs: listing, reading (gzip or plain) and writing whole objects.

boto3 takes its endpoint from ``AWS_ENDPOINT_URL`` (honoured natively), so the same code reads
real S3 in AWS and the moto server in tests.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from risk_monitoring.errors import InputError
from risk_monitoring.io import aws

LOG_SUFFIXES = (".log", ".jsonl", ".json", ".txt", ".gz")


@dataclass(frozen=True)
class StoredFile:
    uri: str
    size: int | None  # bytes as stored (compressed for gzip); None when not known


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InputError(f"not an s3://bucket/key URI: {uri}")
    return bucket, key


def s3_client() -> Any:
    return aws.client("s3")


def list_files(prefix: str, suffixes: tuple[str, ...]) -> list[StoredFile]:
    """Files directly or indirectly under a directory / S3 prefix whose names end in a suffix."""
    if is_s3(prefix):
        bucket, key_prefix = split_s3(prefix)
        paginator = s3_client().get_paginator("list_objects_v2")
        found = [
            StoredFile(f"s3://{bucket}/{item['Key']}", int(item["Size"]))
            for page in paginator.paginate(Bucket=bucket, Prefix=key_prefix)
            for item in page.get("Contents", [])
            if item["Key"].endswith(suffixes)
        ]
        return sorted(found, key=lambda stored: stored.uri)
    directory = Path(prefix)
    if not directory.is_dir():
        return []
    return [
        StoredFile(str(path), path.stat().st_size)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name.endswith(suffixes)
    ]


def exists(uri: str) -> bool:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        response = s3_client().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in response.get("Contents", []))
    return Path(uri).is_file()


def expand_inputs(uris: list[str]) -> list[StoredFile]:
    """Files named by ``uris``: a directory or an s3 prefix ending in '/' means its log files."""
    expanded: list[StoredFile] = []
    for uri in uris:
        if is_s3(uri) and not uri.endswith("/"):
            expanded.append(StoredFile(uri, None))
        elif is_s3(uri) or Path(uri).is_dir():
            files = list_files(uri, LOG_SUFFIXES)
            if not files:
                raise InputError(f"no log objects under {uri}")
            expanded.extend(files)
        elif Path(uri).is_file():
            expanded.append(StoredFile(uri, Path(uri).stat().st_size))
        else:
            raise InputError(f"input not found: {uri}")
    return expanded


class ByteCounter:
    """Bytes read so far from the stored (possibly compressed) objects: progress of a long read."""

    def __init__(self) -> None:
        self.bytes_read = 0


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: IO[bytes], counter: ByteCounter) -> None:
        self._raw = raw
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        read = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._counter.bytes_read += read or 0
        return int(read or 0)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _open_binary(uri: str) -> IO[bytes]:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        try:
            return s3_client().get_object(Bucket=bucket, Key=key)["Body"]  # type: ignore[no-any-return]
        except Exception as error:  # botocore raises many types; all mean "cannot read it"
            raise InputError(f"cannot read {uri}: {error}") from error
    try:
        return open(uri, "rb")
    except OSError as error:
        raise InputError(f"cannot read {uri}: {error}") from error


def open_text(uri: str, counter: ByteCounter | None = None) -> IO[str]:
    """Text stream of a local or S3 object, transparently gunzipped (by name or magic bytes)."""
    raw = _open_binary(uri)
    buffered = io.BufferedReader(_CountingReader(raw, counter or ByteCounter()), 1 << 16)
    stream: IO[bytes] = buffered
    if uri.endswith(".gz") or buffered.peek(2)[:2] == b"\x1f\x8b":
        stream = gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")


def read_text(uri: str) -> str:
    with open_text(uri) as stream:
        return stream.read()


def read_bytes(uri: str) -> bytes:
    with _open_binary(uri) as stream:
        return stream.read()


def write_bytes(uri: str, payload: bytes, content_type: str) -> None:
    """Write a whole object; local files go through a temp name so none is ever half-written."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        s3_client().put_object(Bucket=bucket, Key=key, Body=payload, ContentType=content_type)
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(payload)
    partial.replace(path)
