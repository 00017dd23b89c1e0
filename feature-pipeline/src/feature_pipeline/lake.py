"""The output folder: one sub-folder per run, a manifest written last, a pointer that moves.

```
<output>/run=<run_id>/training_set/csv/part-*.csv
<output>/run=<run_id>/training_set/parquet/part-*.parquet
<output>/run=<run_id>/online/parquet/part-*.parquet
<output>/run=<run_id>/quarantine/part-*.json
<output>/run=<run_id>/run_report.json
<output>/run=<run_id>/_SUCCESS      JSON manifest, written last: the run is complete
<output>/_LATEST                    JSON pointer to the newest published run
```

A run folder without `_SUCCESS` is incomplete and nobody reads it. `_LATEST` only ever names a
run with `_SUCCESS`, and it moves only after that run's online rows are live. Everything is
written under the output location (the Glue role's grant), never beside it. Runs beyond the
newest `retain_runs` are deleted `_SUCCESS` first, so a half-deleted run never looks complete.
One run at a time per output (the Glue job allows one concurrent run).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from feature_pipeline.errors import InputError
from feature_pipeline.inputs import s3_client
from feature_pipeline.location import LocalPath, Location, S3Location

SUCCESS = "_SUCCESS"
LATEST = "_LATEST"
RUN_FOLDER_PREFIX = "run="
TRAINING_CSV = "training_set/csv"
TRAINING_PARQUET = "training_set/parquet"
ONLINE_PARQUET = "online/parquet"
QUARANTINE = "quarantine"
RUN_REPORT = "run_report.json"

_STAGING = re.compile(r"^\.run=(?P<run_id>.+)\.staging-(?P<pid>[0-9]+)$")


def run_folder(run_id: str) -> str:
    return f"{RUN_FOLDER_PREFIX}{run_id}"


def _manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, indent=2, sort_keys=True).encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StagedFile:
    path: str  # relative to the run folder, "/"-separated
    size_bytes: int


@dataclass(frozen=True)
class CommittedRun:
    run_id: str
    manifest: dict[str, Any]
    manifest_sha256: str

    @property
    def created_at(self) -> str:
        return str(self.manifest.get("created_at", ""))


@dataclass(frozen=True)
class RunFolder:
    run_id: str
    committed: CommittedRun | None


def latest_pointer(run: CommittedRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "as_of": run.manifest["as_of"],
        "prefix": f"{run_folder(run.run_id)}/",
        "manifest_sha256": run.manifest_sha256,
        "updated_at": datetime.now(UTC).isoformat(),
    }


def _is_data_file(relative: str) -> bool:
    # Spark's checksum side files, its _temporary folders and hidden files are not outputs.
    return not any(part.startswith((".", "_")) for part in relative.split("/"))


class RunWriter(Protocol):
    """Where one run's files are staged, and how they become a complete run (_SUCCESS last)."""

    @property
    def spark_root(self) -> str: ...

    @property
    def uri(self) -> str: ...

    def write_text(self, relative: str, text: str) -> None: ...

    def staged_files(self) -> list[StagedFile]: ...

    def commit(self, manifest: dict[str, Any]) -> CommittedRun: ...

    def abort(self) -> None: ...


class Lake(Protocol):
    """The output root: its runs and the `_LATEST` pointer."""

    @property
    def uri(self) -> str: ...

    def committed_run(self, run_id: str) -> CommittedRun | None: ...

    def open_run(self, run_id: str) -> RunWriter: ...

    def latest(self) -> dict[str, Any] | None: ...

    def move_latest(self, pointer: dict[str, Any]) -> None: ...

    def runs(self) -> list[RunFolder]: ...

    def delete_run(self, run_id: str) -> None: ...


# --- local folder ---------------------------------------------------------------------------


def _local_files(root: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(root).as_posix()


def _write_atomically(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    temporary.write_bytes(data)
    temporary.replace(target)


def _read_committed(folder: Path, run_id: str) -> CommittedRun | None:
    try:
        data = (folder / SUCCESS).read_bytes()
    except FileNotFoundError:
        return None
    return CommittedRun(run_id, json.loads(data), _sha256(data))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalRunWriter:
    """Stage in a hidden folder beside the runs; rename it into place, then write _SUCCESS."""

    def __init__(self, root: Path, run_id: str) -> None:
        self._run_id = run_id
        self._final = root / run_folder(run_id)
        self._staging = root / f".{run_folder(run_id)}.staging-{os.getpid()}"
        shutil.rmtree(self._staging, ignore_errors=True)
        self._staging.mkdir(parents=True)

    @property
    def spark_root(self) -> str:
        return str(self._staging)

    @property
    def uri(self) -> str:
        return str(self._final)

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

    def commit(self, manifest: dict[str, Any]) -> CommittedRun:
        # A folder of this run without _SUCCESS is an earlier, interrupted attempt.
        shutil.rmtree(self._final, ignore_errors=True)
        self._staging.rename(self._final)
        data = _manifest_bytes(manifest)
        _write_atomically(self._final / SUCCESS, data)
        return CommittedRun(self._run_id, manifest, _sha256(data))

    def abort(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


class LocalLake:
    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        if self._root.exists() and not self._root.is_dir():
            raise InputError(f"output {root} exists and is not a directory")

    @property
    def uri(self) -> str:
        return str(self._root)

    def committed_run(self, run_id: str) -> CommittedRun | None:
        return _read_committed(self._root / run_folder(run_id), run_id)

    def open_run(self, run_id: str) -> LocalRunWriter:
        return LocalRunWriter(self._root, run_id)

    def latest(self) -> dict[str, Any] | None:
        try:
            pointer: dict[str, Any] = json.loads((self._root / LATEST).read_bytes())
        except FileNotFoundError:
            return None
        return pointer

    def move_latest(self, pointer: dict[str, Any]) -> None:
        _write_atomically(self._root / LATEST, _manifest_bytes(pointer))

    def runs(self) -> list[RunFolder]:
        self._remove_abandoned_staging()
        if not self._root.is_dir():
            return []
        return [
            RunFolder(run_id, _read_committed(folder, run_id))
            for folder in sorted(self._root.glob(f"{RUN_FOLDER_PREFIX}*"))
            if folder.is_dir()
            for run_id in [folder.name[len(RUN_FOLDER_PREFIX) :]]
        ]

    def delete_run(self, run_id: str) -> None:
        folder = self._root / run_folder(run_id)
        (folder / SUCCESS).unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)

    def _remove_abandoned_staging(self) -> None:
        # Left by a process that was killed before it could clean up.
        for folder in self._root.glob(f".{RUN_FOLDER_PREFIX}*.staging-*"):
            match = _STAGING.match(folder.name)
            if match and not _pid_alive(int(match["pid"])):
                shutil.rmtree(folder, ignore_errors=True)


# --- S3 -------------------------------------------------------------------------------------


def _list_keys(client: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def _delete_keys(client: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


def _get_bytes(client: Any, bucket: str, key: str) -> bytes | None:
    try:
        body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except client.exceptions.NoSuchKey:
        return None
    return body


class _S3Run:
    """What both S3 writers share: the run's prefix and how it is marked complete."""

    def __init__(self, client: Any, root: S3Location, run_id: str) -> None:
        self._client = client
        self._bucket = root.bucket
        self._run_id = run_id
        self._prefix = f"{root.prefix}{run_folder(run_id)}/"

    @property
    def uri(self) -> str:
        return f"s3://{self._bucket}/{self._prefix}"

    def _clear_run_prefix(self) -> None:
        _delete_keys(
            self._client, self._bucket, _list_keys(self._client, self._bucket, self._prefix)
        )

    def _mark_complete(self, manifest: dict[str, Any]) -> CommittedRun:
        data = _manifest_bytes(manifest)
        self._client.put_object(
            Bucket=self._bucket,
            Key=self._prefix + SUCCESS,
            Body=data,
            ContentType="application/json",
        )
        return CommittedRun(self._run_id, manifest, _sha256(data))


class S3ViaLocalRunWriter(_S3Run):
    """Local runs: Spark writes to a local folder; commit uploads it, then _SUCCESS."""

    def __init__(self, client: Any, root: S3Location, run_id: str, workdir: Path) -> None:
        super().__init__(client, root, run_id)
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

    def commit(self, manifest: dict[str, Any]) -> CommittedRun:
        self._clear_run_prefix()  # an earlier, interrupted attempt of this run
        for staged in self.staged_files():
            self._client.upload_file(
                str(self._staging / staged.path), self._bucket, self._prefix + staged.path
            )
        committed = self._mark_complete(manifest)
        self.abort()
        return committed

    def abort(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


class S3NativeRunWriter(_S3Run):
    """Glue runs: Spark writes straight into the run's prefix; _SUCCESS makes it complete."""

    def __init__(self, client: Any, root: S3Location, run_id: str) -> None:
        super().__init__(client, root, run_id)
        self._clear_run_prefix()  # an earlier, interrupted attempt of this run

    @property
    def spark_root(self) -> str:
        return self.uri

    def write_text(self, relative: str, text: str) -> None:
        self._client.put_object(
            Bucket=self._bucket, Key=self._prefix + relative, Body=text.encode()
        )

    def staged_files(self) -> list[StagedFile]:
        files = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=self._prefix):
            for item in page.get("Contents", []):
                relative = item["Key"][len(self._prefix) :]
                if _is_data_file(relative):
                    files.append(StagedFile(relative, int(item["Size"])))
        return files

    def commit(self, manifest: dict[str, Any]) -> CommittedRun:
        return self._mark_complete(manifest)

    def abort(self) -> None:
        self._clear_run_prefix()


class S3Lake:
    def __init__(self, root: S3Location, workdir: Path, native: bool) -> None:
        if not root.prefix:
            raise InputError(f"S3 output {root.uri!r} needs a key prefix, not a bare bucket")
        self._root = root
        self._workdir = workdir
        self._native = native
        self._client = s3_client()

    @property
    def uri(self) -> str:
        return f"s3://{self._root.bucket}/{self._root.prefix}"

    def _key(self, relative: str) -> str:
        return self._root.prefix + relative

    def committed_run(self, run_id: str) -> CommittedRun | None:
        data = _get_bytes(
            self._client, self._root.bucket, self._key(f"{run_folder(run_id)}/{SUCCESS}")
        )
        if data is None:
            return None
        return CommittedRun(run_id, json.loads(data), _sha256(data))

    def open_run(self, run_id: str) -> RunWriter:
        if self._native:
            return S3NativeRunWriter(self._client, self._root, run_id)
        return S3ViaLocalRunWriter(self._client, self._root, run_id, self._workdir)

    def latest(self) -> dict[str, Any] | None:
        data = _get_bytes(self._client, self._root.bucket, self._key(LATEST))
        return None if data is None else dict(json.loads(data))

    def move_latest(self, pointer: dict[str, Any]) -> None:
        self._client.put_object(
            Bucket=self._root.bucket,
            Key=self._key(LATEST),
            Body=_manifest_bytes(pointer),
            ContentType="application/json",
        )

    def runs(self) -> list[RunFolder]:
        paginator = self._client.get_paginator("list_objects_v2")
        folders = []
        for page in paginator.paginate(
            Bucket=self._root.bucket, Prefix=self._key(RUN_FOLDER_PREFIX), Delimiter="/"
        ):
            for common in page.get("CommonPrefixes", []):
                name = common["Prefix"][len(self._root.prefix) :].rstrip("/")
                run_id = name[len(RUN_FOLDER_PREFIX) :]
                folders.append(RunFolder(run_id, self.committed_run(run_id)))
        return folders

    def delete_run(self, run_id: str) -> None:
        prefix = self._key(f"{run_folder(run_id)}/")
        bucket = self._root.bucket
        self._client.delete_object(Bucket=bucket, Key=prefix + SUCCESS)
        _delete_keys(self._client, bucket, _list_keys(self._client, bucket, prefix))


def open_lake(output: Location, workdir: Path, native_s3: bool) -> Lake:
    if isinstance(output, LocalPath):
        return LocalLake(output.path)
    return S3Lake(output, workdir, native_s3)


def retire_runs(lake: Lake, keep: int, protected: set[str]) -> list[str]:
    """Delete runs beyond the newest `keep` complete ones, and incomplete ones; never `protected`.

    Returns the deleted run ids. Incomplete runs are leftovers of killed attempts: with one run
    at a time per output, none of them can still be writing.
    """
    folders = lake.runs()
    complete = sorted(
        (folder for folder in folders if folder.committed is not None),
        key=lambda folder: folder.committed.created_at if folder.committed else "",
        reverse=True,
    )
    kept = {folder.run_id for folder in complete[:keep]} | protected
    doomed = [folder.run_id for folder in folders if folder.run_id not in kept]
    for run_id in doomed:
        lake.delete_run(run_id)
    return doomed
