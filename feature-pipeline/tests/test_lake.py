"""The output folder on its own: committing a run, the pointer, retention."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from feature_pipeline.lake import LocalLake, latest_pointer, retire_runs


def _commit(lake: LocalLake, run_id: str, created_at: str) -> None:
    writer = lake.open_run(run_id)
    writer.write_text("training_set/csv/part-0.csv", "id\n1\n")
    files = writer.staged_files()
    writer.commit(
        {
            "run_id": run_id,
            "as_of": "2021-09-17",
            "files": [{"path": f.path, "size_bytes": f.size_bytes} for f in files],
            "created_at": created_at,
        }
    )


def test_a_committed_run_has_its_files_then_success_and_the_pointer_names_it(
    tmp_path: Path,
) -> None:
    lake = LocalLake(tmp_path / "out")
    writer = lake.open_run("r1")
    writer.write_text("training_set/csv/part-0.csv", "id\n1\n")
    (Path(writer.spark_root) / "training_set" / "csv" / ".part-0.csv.crc").write_text("x")
    assert not (tmp_path / "out" / "run=r1").exists()  # staged out of sight
    files = writer.staged_files()
    assert [f.path for f in files] == ["training_set/csv/part-0.csv"]
    committed = writer.commit({"run_id": "r1", "as_of": "2021-09-17", "files": []})
    success = tmp_path / "out" / "run=r1" / "_SUCCESS"
    assert committed.manifest_sha256 == hashlib.sha256(success.read_bytes()).hexdigest()
    assert lake.committed_run("r1") == committed

    pointer = latest_pointer(committed)
    lake.move_latest(pointer)
    assert lake.latest() == pointer
    assert set(pointer) == {"run_id", "as_of", "prefix", "manifest_sha256", "updated_at"}
    assert (pointer["run_id"], pointer["prefix"], pointer["as_of"]) == (
        "r1",
        "run=r1/",
        "2021-09-17",
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["_LATEST", "run=r1"]


def test_retention_keeps_the_newest_complete_runs_and_the_protected_one(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "out")
    for number in range(1, 7):
        _commit(lake, f"r{number}", created_at=f"2021-09-1{number}T00:00:00")
    incomplete = tmp_path / "out" / "run=killed"
    (incomplete / "training_set").mkdir(parents=True)

    retired = retire_runs(lake, keep=2, protected={"r1"})

    assert sorted(retired) == ["killed", "r2", "r3", "r4"]
    remaining = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert remaining == ["run=r1", "run=r5", "run=r6"]


def test_staging_left_by_a_killed_process_is_removed_but_not_a_live_ones(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "out")
    live = lake.open_run("mine")  # this process: alive
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = finished.stdout.strip()
    abandoned = tmp_path / "out" / f".run=old.staging-{dead_pid}"
    abandoned.mkdir()
    assert lake.runs() == []
    assert not abandoned.exists()
    assert Path(live.spark_root).is_dir()
    assert Path(live.spark_root).name == f".run=mine.staging-{os.getpid()}"


def test_a_run_rewritten_after_an_interrupted_attempt_holds_only_its_new_files(
    tmp_path: Path,
) -> None:
    lake = LocalLake(tmp_path / "out")
    interrupted = tmp_path / "out" / "run=r1" / "training_set" / "csv"
    interrupted.mkdir(parents=True)
    (interrupted / "part-stale.csv").write_text("stale")
    _commit(lake, "r1", created_at="2021-09-17T00:00:00")
    files = sorted(p.name for p in (tmp_path / "out" / "run=r1").rglob("*") if p.is_file())
    assert files == ["_SUCCESS", "part-0.csv"]
    manifest = json.loads((tmp_path / "out" / "run=r1" / "_SUCCESS").read_text())
    assert manifest["files"] == [{"path": "training_set/csv/part-0.csv", "size_bytes": 5}]
