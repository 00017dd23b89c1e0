"""Reading small JSON documents from a local folder or S3 (boto3 honours AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from platform_status.errors import StatusError


def join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


def _bucket_key(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def read_json(uri: str) -> dict[str, Any] | None:
    """The document at ``uri``, or None when there is none; an unreadable one is an error."""
    if uri.startswith("s3://"):
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = _bucket_key(uri)
        try:
            body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise StatusError(f"cannot read {uri}: {error}") from error
        except BotoCoreError as error:
            raise StatusError(f"cannot read {uri}: {error}") from error
    else:
        path = Path(uri)
        if not path.is_file():
            return None
        body = path.read_bytes()
    try:
        document = json.loads(body)
    except ValueError as error:
        raise StatusError(f"{uri} is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise StatusError(f"{uri} is not a JSON object")
    return document


def child_folders(uri: str) -> list[str]:
    """Names of the folders directly under ``uri`` (S3: common prefixes), sorted."""
    if uri.startswith("s3://"):
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = _bucket_key(uri)
        prefix = key.rstrip("/") + "/" if key else ""
        names: list[str] = []
        try:
            paginator = boto3.client("s3").get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
                names += [
                    p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])
                ]
        except (BotoCoreError, ClientError) as error:
            raise StatusError(f"cannot list {uri}: {error}") from error
        return sorted(names)
    path = Path(uri)
    return sorted(child.name for child in path.iterdir() if child.is_dir()) if path.is_dir() else []
