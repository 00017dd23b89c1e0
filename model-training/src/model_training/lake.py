"""Where the training data lives: local or S3 paths, and the feature pipeline's lake layout.

Accepted `--data` forms:
  * the pipeline output root: `_LATEST` names the committed run (DESIGN C1); the pointer's
    `manifest_sha256` must match that run's `_SUCCESS`
  * a run prefix `<output>/run=<id>/` (or an output of the older layout without runs):
    `_SUCCESS` is required and is the only source of truth for the files to read
  * a CSV / Parquet file, or a directory of part files (no reference population then)
each locally or under `s3://bucket/prefix` (boto3, so AWS_ENDPOINT_URL / AWS_PROFILE apply).
Only the files a run's manifest lists are read (downloaded, for S3).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from model_training import aws
from model_training.contract import (
    LATEST_POINTER,
    ONLINE_ROWS_DIR,
    RUN_MANIFEST,
    TRAINING_SET_DIR,
)


class DataValidationError(ValueError):
    """The input violates its contract; `problems` lists every violation found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        bullet = "\n  - ".join(problems)
        super().__init__(f"training data {source} is invalid:\n  - {bullet}")


class Location(Protocol):
    """A directory-like place holding files addressed by relative POSIX paths."""

    def describe(self, relative: str = "") -> str: ...
    def child(self, relative: str) -> Location: ...
    def read_bytes(self, relative: str) -> bytes | None: ...
    def files(self, relative: str = "") -> dict[str, int]: ...
    def local_file(self, relative: str, scratch: Path) -> Path: ...


@dataclass(frozen=True)
class LocalLocation:
    root: Path

    def describe(self, relative: str = "") -> str:
        return str(self.root / relative) if relative else str(self.root)

    def child(self, relative: str) -> LocalLocation:
        return LocalLocation(self.root / relative)

    def read_bytes(self, relative: str) -> bytes | None:
        path = self.root / relative
        return path.read_bytes() if path.is_file() else None

    def files(self, relative: str = "") -> dict[str, int]:
        """Relative path -> size of every file under `relative` (recursive)."""
        base = self.root / relative if relative else self.root
        if not base.is_dir():
            return {}
        return {
            str(p.relative_to(self.root)): p.stat().st_size for p in base.rglob("*") if p.is_file()
        }

    def local_file(self, relative: str, scratch: Path) -> Path:
        return self.root / relative


@dataclass
class S3Location:
    bucket: str
    prefix: str  # no leading or trailing slash
    _client: Any = field(default=None, repr=False, compare=False)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("s3")
        return self._client

    def _key(self, relative: str) -> str:
        return "/".join(p for p in (self.prefix, relative.strip("/")) if p)

    def describe(self, relative: str = "") -> str:
        return f"s3://{self.bucket}/{self._key(relative)}"

    def child(self, relative: str) -> S3Location:
        return S3Location(self.bucket, self._key(relative), self._client)

    def read_bytes(self, relative: str) -> bytes | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(relative))["Body"]
        except self.client.exceptions.NoSuchKey:
            return None
        data: bytes = body.read()
        return data

    def files(self, relative: str = "") -> dict[str, int]:
        base = self._key(relative)
        listing_prefix = f"{base}/" if base else ""
        found: dict[str, int] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=listing_prefix
        ):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith("/"):
                    own = f"{self.prefix}/" if self.prefix else ""
                    found[obj["Key"][len(own) :]] = int(obj["Size"])
        return found

    def local_file(self, relative: str, scratch: Path) -> Path:
        target = scratch / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, self._key(relative), str(target))
        return target


def open_location(source: str) -> tuple[Location, str | None]:
    """(directory location, file name) - the name is set when `source` is a single file."""
    if source.startswith("s3://"):
        bucket, _, key = source.removeprefix("s3://").partition("/")
        if not bucket:
            raise DataValidationError(source, ["s3 URI has no bucket"])
        key = key.strip("/")
        parent, _, name = key.rpartition("/")
        if name.endswith((".csv", ".parquet")):
            location = S3Location(bucket, parent)
            if location.read_bytes(name) is not None:
                return location, name
        return S3Location(bucket, key), None
    path = Path(source)
    if not path.exists():
        raise DataValidationError(source, ["path does not exist"])
    if path.is_file():
        if path.suffix not in (".csv", ".parquet"):
            raise DataValidationError(source, ["file must end in .csv or .parquet"])
        return LocalLocation(path.parent), path.name
    return LocalLocation(path), None


@dataclass(frozen=True)
class RunFiles:
    """What a committed pipeline run offers, each file checked against its manifest size."""

    location: Location
    run_id: str | None
    as_of: str | None
    training_files: list[str]
    training_format: str
    online_files: list[str]


@dataclass(frozen=True)
class DataFiles:
    location: Location
    files: list[str]
    fmt: str
    run: RunFiles | None


def _manifest_files(source: str, raw: bytes) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        manifest = json.loads(raw or b"null")
        listed = {str(f["path"]): int(f["size_bytes"]) for f in manifest["files"]}
    except (ValueError, TypeError, KeyError) as error:
        raise DataValidationError(
            source, [f"_SUCCESS is not a pipeline manifest with a files list ({error!r})"]
        ) from error
    return manifest, listed


def _checked(location: Location, listed: dict[str, int], wanted: list[str]) -> list[str]:
    present = location.files()
    problems = []
    for relative in wanted:
        if relative not in present:
            problems.append(f"{relative} is listed in _SUCCESS but missing")
        elif present[relative] != listed[relative]:
            problems.append(
                f"{relative} has {present[relative]} bytes, _SUCCESS says {listed[relative]}"
            )
    if problems:
        raise DataValidationError(location.describe(), problems)
    return wanted


def committed_run(location: Location, manifest_bytes: bytes | None = None) -> RunFiles:
    """The files a run's `_SUCCESS` lists: part files of other runs lying beside are ignored."""
    raw = location.read_bytes(RUN_MANIFEST) if manifest_bytes is None else manifest_bytes
    if raw is None:
        raise DataValidationError(
            location.describe(),
            ["pipeline output has no _SUCCESS marker: the run is incomplete or still writing"],
        )
    manifest, listed = _manifest_files(location.describe(RUN_MANIFEST), raw)
    online = sorted(
        p for p in listed if p.startswith(f"{ONLINE_ROWS_DIR}/") and p.endswith(".parquet")
    )
    for fmt in ("parquet", "csv"):
        prefix = f"{TRAINING_SET_DIR}/{fmt}/"
        chosen = sorted(p for p in listed if p.startswith(prefix) and p.endswith(f".{fmt}"))
        if chosen:
            return RunFiles(
                location=location,
                run_id=manifest.get("run_id"),
                as_of=manifest.get("as_of"),
                training_files=_checked(location, listed, chosen),
                training_format=fmt,
                online_files=_checked(location, listed, online),
            )
    raise DataValidationError(
        location.describe(), ["_SUCCESS lists no training_set parquet or csv files"]
    )


def follow_latest(root: Location, pointer_bytes: bytes) -> RunFiles:
    """The run `_LATEST` names, refused unless its manifest is the one the pointer was made for."""
    where = root.describe(LATEST_POINTER)
    try:
        pointer = json.loads(pointer_bytes)
        prefix, expected = str(pointer["prefix"]), str(pointer["manifest_sha256"])
    except (ValueError, TypeError, KeyError) as error:
        raise DataValidationError(where, [f"not a _LATEST pointer ({error!r})"]) from error
    run = root.child(prefix.strip("/"))
    manifest = run.read_bytes(RUN_MANIFEST)
    if manifest is None:
        raise DataValidationError(where, [f"_LATEST names {prefix}, which has no _SUCCESS"])
    actual = hashlib.sha256(manifest).hexdigest()
    if actual != expected:
        raise DataValidationError(
            where, [f"{prefix}_SUCCESS has sha256 {actual}, _LATEST says {expected}"]
        )
    return committed_run(run, manifest)


def _part_files(files: dict[str, int], suffix: str) -> list[str]:
    # Spark writes _SUCCESS / .crc side files next to the parts; only data files count.
    return sorted(
        p for p in files if "/" not in p and p.endswith(suffix) and not p.startswith(("_", "."))
    )


def resolve(source: str) -> DataFiles:
    """Find the training-set files behind any accepted `--data` form."""
    location, name = open_location(source)
    if name is not None:
        return DataFiles(location, [name], "csv" if name.endswith(".csv") else "parquet", None)
    pointer = location.read_bytes(LATEST_POINTER)
    if pointer is not None:
        run = follow_latest(location, pointer)
        return DataFiles(run.location, run.training_files, run.training_format, run)
    files = location.files()
    if any(p.startswith(f"{TRAINING_SET_DIR}/") for p in files):
        run = committed_run(location)
        return DataFiles(location, run.training_files, run.training_format, run)
    if any(p.startswith("run=") for p in files):
        raise DataValidationError(
            source, ["pipeline output root without _LATEST: no run was committed; pass a run=<id>"]
        )
    parquet, csv = _part_files(files, ".parquet"), _part_files(files, ".csv")
    if parquet and csv:
        raise DataValidationError(source, ["directory mixes .csv and .parquet part files"])
    if parquet or csv:
        return DataFiles(location, parquet or csv, "parquet" if parquet else "csv", None)
    if not files and not source.startswith("s3://"):
        raise DataValidationError(source, ["directory holds no .csv or .parquet files"])
    problem = "no objects under this S3 prefix" if not files else "no .csv or .parquet files"
    raise DataValidationError(source, [problem])
