"""`make status` on a `make run` folder: what is live, and every disagreement named."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import AS_OF, CUSTOMERS, RUN_ID, LocalRun, write_store
from typer.testing import CliRunner

from platform_status.cli import app

REPO = Path(__file__).resolve().parents[3]


def make_status(run: LocalRun) -> subprocess.CompletedProcess[str]:
    """The make target itself (its AS_OF is the day staleness is judged on); setup not redone."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.setup-stamp", "status", f"RUN_DIR={run.root}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def status(run: LocalRun, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["status", "--run-dir", str(run.root), "--today", AS_OF, *args], env={}
    )
    return result.exit_code, result.output


def test_make_status_after_a_run_shows_what_is_live_and_exits_zero(
    local_run: Callable[..., LocalRun],
) -> None:
    run = local_run(served="1")
    result = make_status(run)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    sha = hashlib.sha256((run.root / "bundle" / "model.onnx").read_bytes()).hexdigest()
    assert f"as of {AS_OF} (0 days old), run {RUN_ID}, {CUSTOMERS} rows" in out
    assert "champion 1, challenger 2" in out
    assert f"100.0%  model version 1, model_sha256 {sha}" in out
    assert "store, registry, serving and monitoring agree" in out
    assert "DISAGREE" not in out


def test_serving_a_model_that_is_not_the_champion_exits_non_zero_and_says_why(
    local_run: Callable[..., LocalRun],
) -> None:
    run = local_run(served="2")
    result = make_status(run)
    assert result.returncode != 0, result.stdout
    assert "status] Error 1" in result.stderr  # make names the command's own exit code: 1
    assert "serving model version 2" in result.stdout
    assert "the registry's champion is version 1" in result.stdout


def test_a_store_older_than_its_limit_is_stale(local_run: Callable[..., LocalRun]) -> None:
    run = local_run(as_of="2020-12-28")
    code, out = status(run, "--max-store-age-days", "2")
    assert code == 1
    assert "the store is stale: as of 2020-12-28, 4 days before 2021-01-01" in out
    code, out = status(run, "--max-store-age-days", "4")
    assert code == 0, out


def test_the_staleness_limit_is_the_monitoring_jobs_variable(
    local_run: Callable[..., LocalRun],
) -> None:
    run = local_run(as_of="2020-12-28")
    result = CliRunner().invoke(
        app,
        ["status", "--run-dir", str(run.root), "--today", AS_OF],
        env={"MONITOR_MAX_FEATURE_STORE_AGE_DAYS": "10"},
    )
    assert result.exit_code == 0, result.output


def test_a_store_that_is_not_the_lakes_latest_run_or_mixes_runs_disagrees(
    local_run: Callable[..., LocalRun],
) -> None:
    run = local_run()
    (run.root / "lake" / "features" / "_LATEST").write_text('{"run_id": "20210102-ffffffffffff"}')
    code, out = status(run)
    assert code == 1
    assert f"the store holds run {RUN_ID} but the lake's _LATEST names run 20210102-ff" in out

    (run.root / "feature_store.db").unlink()
    write_store(run.root / "feature_store.db", run_ids=(RUN_ID, "20201231-000000000000"))
    code, out = status(run)
    assert "the store mixes rows of several pipeline runs" in out


def test_the_last_monitoring_verdict_is_shown_and_an_alert_disagrees(
    local_run: Callable[..., LocalRun],
) -> None:
    run = local_run()
    run.write_report("20201230T043000Z", "alert", ["drift"], "1")
    run.write_report("20201231T043000Z", "ok", [], "1")
    (run.root / "monitoring" / "20201231T050000Z").mkdir()  # a run still writing: no JSON yet
    code, out = status(run)
    assert code == 0, out
    assert "monitoring   ok at 2020-12-31T04:30:00+00:00 (model version 1" in out

    run.write_report("20210101T043000Z", "alert", ["skew", "staleness"], "1")
    code, out = status(run)
    assert code == 1
    assert "the last monitoring run (2021-01-01T04:30:00+00:00) alerted: skew, staleness" in out


def test_the_served_hash_is_of_the_bytes_and_a_swapped_model_disagrees(
    local_run: Callable[..., LocalRun],
) -> None:
    run = local_run()
    recorded = hashlib.sha256(b"onnx 1").hexdigest()
    (run.root / "bundle" / "model.onnx").write_bytes(b"swapped after export")
    code, out = status(run)
    assert code == 1
    actual = hashlib.sha256(b"swapped after export").hexdigest()
    assert f"model.onnx hashes to {actual} but metadata.json says {recorded}" in out


def test_an_unreadable_part_exits_two_with_the_reason(
    local_run: Callable[..., LocalRun], tmp_path: Path
) -> None:
    run = local_run()
    (run.root / "bundle" / "model.onnx").unlink()
    code, out = status(run)
    assert code == 2
    assert "no serving bundle at" in out

    result = CliRunner().invoke(
        app,
        ["status", "--run-dir", str(run.root), "--tracking-uri", f"sqlite:///{tmp_path}/none.db"],
        env={},
    )
    assert result.exit_code == 2
    assert "no registered model 'credit-risk'" in result.output
