"""Reading inputs from local paths or ``s3://`` URIs, gzip or plain, as text streams.

boto3 takes its endpoint from ``AWS_ENDPOINT_URL`` (honoured natively), so the same code reads
real S3 in AWS and the moto server in tests.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from risk_monitoring.errors import InputError

_LOG_SUFFIXES = (".log", ".jsonl", ".json", ".txt", ".gz")


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InputError(f"not an s3://bucket/key URI: {uri}")
    return bucket, key


def s3_client() -> Any:
    import boto3  # deferred: the CLI on local files should not pay for boto3's import

    return boto3.client("s3")


def _is_gzip_name(name: str) -> bool:
    return name.endswith(".gz")


def expand_inputs(uris: list[str]) -> list[str]:
    """Files named by ``uris``: a directory or an s3 prefix ending in '/' means its log files."""
    expanded: list[str] = []
    for uri in uris:
        if is_s3(uri):
            if uri.endswith("/"):
                bucket, prefix = split_s3(uri)
                paginator = s3_client().get_paginator("list_objects_v2")
                keys = [
                    item["Key"]
                    for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                    for item in page.get("Contents", [])
                    if item["Key"].endswith(_LOG_SUFFIXES)
                ]
                if not keys:
                    raise InputError(f"no log objects under {uri}")
                expanded.extend(f"s3://{bucket}/{key}" for key in sorted(keys))
            else:
                expanded.append(uri)
            continue
        path = Path(uri)
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.is_file() and p.name.endswith(_LOG_SUFFIXES)
            )
            if not files:
                raise InputError(f"no log files in directory {path}")
            expanded.extend(str(p) for p in files)
        elif path.is_file():
            expanded.append(str(path))
        else:
            raise InputError(f"input not found: {uri}")
    return expanded


def _open_binary(uri: str) -> IO[bytes]:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        try:
            body = s3_client().get_object(Bucket=bucket, Key=key)["Body"]
        except Exception as error:  # botocore raises many types; all mean "cannot read it"
            raise InputError(f"cannot read {uri}: {error}") from error
        return body  # type: ignore[no-any-return]
    try:
        return open(uri, "rb")
    except OSError as error:
        raise InputError(f"cannot read {uri}: {error}") from error


def open_text(uri: str) -> IO[str]:
    """Text stream of a local or S3 object, transparently gunzipped (by name or magic bytes)."""
    raw = _open_binary(uri)
    buffered = (
        raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var,arg-type]
    )
    magic = buffered.peek(2)[:2]
    stream: IO[bytes] = buffered
    if _is_gzip_name(uri) or magic == b"\x1f\x8b":
        stream = gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")


def iter_lines(uris: list[str]) -> Iterator[str]:
    for uri in uris:
        with open_text(uri) as stream:
            yield from stream


def read_text(uri: str) -> str:
    with open_text(uri) as stream:
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
