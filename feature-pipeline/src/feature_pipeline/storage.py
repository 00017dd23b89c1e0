"""Where bytes live: local paths and s3:// URIs, input fingerprints, and atomic output commits.

Locally there are no hadoop-aws jars, so s3:// input is downloaded with boto3 before Spark reads
it and s3:// output is staged on local disk and uploaded at commit. On Glue (native_s3=True)
Spark reads and writes s3:// itself and only the commit step uses boto3. boto3 takes its endpoint
from AWS_ENDPOINT_URL, which is how the same code runs against the moto emulator.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from feature_pipeline.errors import InputError

SUCCESS_MARKER = "_SUCCESS"
_HASH_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3(uri: str) -> S3Location | None:
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InputError(f"malformed S3 URI {uri!r}")
    return S3Location(bucket, key)


def s3_client() -> Any:
    import boto3  # deferred: only s3:// runs need it, and it takes ~0.5 s to import

    return boto3.client("s3")


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


def local_input_size(uri: str) -> int | None:
    """Size of a local input file without touching the network; None for s3:// or no file."""
    if parse_s3(uri) is not None:
        return None
    try:
        return Path(uri).stat().st_size
    except OSError:
        return None


def resolve_input(uri: str, workdir: Path, native_s3: bool = False) -> ResolvedInput:
    location = parse_s3(uri)
    if location is None:
        path = Path(uri)
        if not path.is_file():
            raise InputError(f"input file {uri!r} does not exist or is not a file")
        return ResolvedInput(
            uri, str(path.resolve()), f"sha256:{sha256_of(path)}", path.stat().st_size
        )
    client = s3_client()
    try:
        head = client.head_object(Bucket=location.bucket, Key=location.key)
    except client.exceptions.ClientError as error:
        raise InputError(f"cannot read input object {uri}: {error}") from error
    if native_s3:
        etag = str(head["ETag"]).strip('"')
        return ResolvedInput(uri, uri, f"s3-etag:{etag}", int(head["ContentLength"]))
    local = workdir / "input" / Path(location.key).name
    local.parent.mkdir(parents=True, exist_ok=True)
    client.download_file(location.bucket, location.key, str(local))
    return ResolvedInput(uri, str(local), f"sha256:{sha256_of(local)}", local.stat().st_size)


@dataclass(frozen=True)
class StagedFile:
    path: str  # relative to the output root, "/"-separated
    size_bytes: int


def _is_data_file(relative: str) -> bool:
    # Spark's checksum side files and hidden/underscore files are not outputs.
    name = relative.rsplit("/", 1)[-1]
    return not (name.startswith(".") or name.startswith("_"))


class OutputCommitter(Protocol):
    """Stage outputs somewhere invisible, then publish them with _SUCCESS written last."""

    @property
    def spark_root(self) -> str: ...

    @property
    def final_uri(self) -> str: ...

    def write_text(self, relative: str, text: str) -> None: ...

    def staged_files(self) -> list[StagedFile]: ...

    def commit(self, manifest: dict[str, Any]) -> None: ...

    def abort(self) -> None: ...


def _local_files(root: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(root).as_posix()


class LocalCommitter:
    """Stage in a hidden sibling directory, then swap directories with renames.

    The old output loses its _SUCCESS first, is renamed away, the staged tree is renamed into
    place and _SUCCESS is written last (write to a temp name, then rename), so at no moment does a
    directory with _SUCCESS hold anything but one run's complete output.
    """

    def __init__(self, output: Path, run_id: str) -> None:
        self._output = output.resolve()
        if self._output.exists() and not self._output.is_dir():
            raise InputError(f"output {output} exists and is not a directory")
        parent = self._output.parent
        parent.mkdir(parents=True, exist_ok=True)
        self._staging = parent / f".{self._output.name}.staging-{run_id}-{os.getpid()}"
        self._retired = parent / f".{self._output.name}.retired-{run_id}-{os.getpid()}"
        shutil.rmtree(self._staging, ignore_errors=True)
        self._staging.mkdir()

    @property
    def spark_root(self) -> str:
        return str(self._staging)

    @property
    def final_uri(self) -> str:
        return str(self._output)

    def write_text(self, relative: str, text: str) -> None:
        target = self._staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def staged_files(self) -> list[StagedFile]:
        files = []
        for path, relative in _local_files(self._staging):
            if _is_data_file(relative):
                files.append(StagedFile(relative, path.stat().st_size))
            else:
                path.unlink()
        return files

    def commit(self, manifest: dict[str, Any]) -> None:
        if self._output.exists():
            (self._output / SUCCESS_MARKER).unlink(missing_ok=True)
            self._output.rename(self._retired)
        self._staging.rename(self._output)
        temporary = self._output / f".{SUCCESS_MARKER}.tmp"
        temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        temporary.replace(self._output / SUCCESS_MARKER)
        shutil.rmtree(self._retired, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


def _list_keys(client: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def _delete_keys(client: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


class _S3Publisher:
    """Shared S3 commit sequence: unmark, write new objects, drop stale ones, mark."""

    def __init__(self, location: S3Location) -> None:
        if not location.key.strip("/"):
            # Commit deletes stale objects under the prefix: never let that be a whole bucket.
            raise InputError(f"S3 output {location.uri!r} needs a key prefix, not a bare bucket")
        self._location = location
        self._prefix = location.key.strip("/") + "/"
        self._client = s3_client()

    @property
    def final_uri(self) -> str:
        return f"s3://{self._location.bucket}/{self._prefix}"

    def _publish(self, put_all: Any, new_relatives: set[str], manifest: dict[str, Any]) -> None:
        bucket, client = self._location.bucket, self._client
        client.delete_object(Bucket=bucket, Key=self._prefix + SUCCESS_MARKER)
        put_all()
        stale = [
            key
            for key in _list_keys(client, bucket, self._prefix)
            if key[len(self._prefix) :] not in new_relatives
            and key != self._prefix + SUCCESS_MARKER
        ]
        _delete_keys(client, bucket, stale)
        client.put_object(
            Bucket=bucket,
            Key=self._prefix + SUCCESS_MARKER,
            Body=json.dumps(manifest, indent=2, sort_keys=True).encode(),
            ContentType="application/json",
        )


class S3ViaLocalCommitter(_S3Publisher):
    """Local runs: Spark writes to a local staging dir; commit uploads it with boto3."""

    def __init__(self, location: S3Location, workdir: Path) -> None:
        super().__init__(location)
        self._staging = workdir / "output-staging"
        self._staging.mkdir(parents=True, exist_ok=True)

    @property
    def spark_root(self) -> str:
        return str(self._staging)

    def write_text(self, relative: str, text: str) -> None:
        target = self._staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def staged_files(self) -> list[StagedFile]:
        return [
            StagedFile(relative, path.stat().st_size)
            for path, relative in _local_files(self._staging)
            if _is_data_file(relative)
        ]

    def commit(self, manifest: dict[str, Any]) -> None:
        files = self.staged_files()

        def upload_all() -> None:
            for staged in files:
                self._client.upload_file(
                    str(self._staging / staged.path),
                    self._location.bucket,
                    self._prefix + staged.path,
                )

        self._publish(upload_all, {staged.path for staged in files}, manifest)
        shutil.rmtree(self._staging, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


class S3NativeCommitter(_S3Publisher):
    """Glue runs: Spark writes to a staging prefix; commit copies objects server-side."""

    def __init__(self, location: S3Location, run_id: str) -> None:
        super().__init__(location)
        self._staging_prefix = f"{self._prefix.rstrip('/')}.staging-{run_id}/"

    @property
    def spark_root(self) -> str:
        return f"s3://{self._location.bucket}/{self._staging_prefix}"

    def write_text(self, relative: str, text: str) -> None:
        self._client.put_object(
            Bucket=self._location.bucket, Key=self._staging_prefix + relative, Body=text.encode()
        )

    def staged_files(self) -> list[StagedFile]:
        files = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._location.bucket, Prefix=self._staging_prefix):
            for item in page.get("Contents", []):
                relative = item["Key"][len(self._staging_prefix) :]
                if _is_data_file(relative):
                    files.append(StagedFile(relative, int(item["Size"])))
        return files

    def commit(self, manifest: dict[str, Any]) -> None:
        files = self.staged_files()
        bucket = self._location.bucket

        def copy_all() -> None:
            for staged in files:
                self._client.copy(
                    {"Bucket": bucket, "Key": self._staging_prefix + staged.path},
                    bucket,
                    self._prefix + staged.path,
                )

        self._publish(copy_all, {staged.path for staged in files}, manifest)
        self.abort()

    def abort(self) -> None:
        _delete_keys(
            self._client,
            self._location.bucket,
            _list_keys(self._client, self._location.bucket, self._staging_prefix),
        )


def make_committer(output_uri: str, run_id: str, workdir: Path, native_s3: bool) -> OutputCommitter:
    location = parse_s3(output_uri)
    if location is None:
        return LocalCommitter(Path(output_uri), run_id)
    if native_s3:
        return S3NativeCommitter(location, run_id)
    return S3ViaLocalCommitter(location, workdir)
