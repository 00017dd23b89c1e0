"""Services start and stop cleanly: after a session ends (even badly) nothing is left running."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from testkit_inner_run import (
    InnerRun,
    inner_env,
    pytest_command,
    run_inner_pytest,
    write_inner_suite,
)

from platform_testkit.postgres_server import remove_stale_directories

# The inner session records what it started so the outer test can look for leftovers.
RECORDING_TEST = """
import json, os, pathlib, time
from urllib.parse import urlsplit
import boto3, psycopg2

def _record(postgres_db_url, moto_endpoint):
    connection = psycopg2.connect(postgres_db_url.replace("+psycopg2", ""))
    cursor = connection.cursor()
    cursor.execute("SHOW data_directory")
    data_dir = pathlib.Path(cursor.fetchone()[0])
    connection.close()
    boto3.client("s3").create_bucket(Bucket="lifecycle-bucket")
    info = {
        "session_pid": os.getpid(),
        "postmaster_pid": int((data_dir / "postmaster.pid").read_text().split()[0]),
        "base_dir": str(data_dir.parent),
        "pg_port": urlsplit(postgres_db_url).port,
        "moto_port": urlsplit(moto_endpoint).port,
    }
    pathlib.Path(os.environ["INFO_FILE"]).write_text(json.dumps(info))
"""


def _process_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _ports_listened_on_by(pids: set[int]) -> set[int]:
    """Listening ports of these processes (or of an owner psutil cannot name). Another job on
    the machine may legitimately reuse a freed port: only our processes' sockets count."""
    return {
        connection.laddr.port
        for connection in psutil.net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN and connection.pid in {None, *pids}
    }


def _processes_mentioning(fragment: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if fragment in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def _assert_nothing_left(info: dict[str, Any]) -> None:
    assert _process_gone(int(info["postmaster_pid"])), "postmaster still running"
    assert not _processes_mentioning(str(info["base_dir"])), "postgres processes left"
    listening = _ports_listened_on_by({int(info["session_pid"]), int(info["postmaster_pid"])})
    assert int(info["pg_port"]) not in listening
    assert int(info["moto_port"]) not in listening


@pytest.fixture
def _local_postgres_only() -> None:
    if "TEST_DATABASE_URL" in os.environ:
        pytest.skip("lifecycle of the throwaway server; TEST_DATABASE_URL points elsewhere")


# One inner session exercises several behaviours at once (each inner test starts nothing new,
# so this costs one interpreter start-up); the outer tests below each check one of them.
FULL_SESSION_TESTS = """
import botocore.exceptions, pytest

names = []
leaked = []

def test_a_records(postgres_db_url, moto_endpoint):
    _record(postgres_db_url, moto_endpoint)
    assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint
    names.append(urlsplit(postgres_db_url).path)
    leaked.append(psycopg2.connect(postgres_db_url.replace("+psycopg2", "")))  # left open

def test_b_forgot_moto():
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        assert name not in os.environ, name
    assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        boto3.client("s3").list_buckets()

def test_c_next_database(postgres_db_url, postgres_url):
    assert urlsplit(postgres_db_url).path != names[0]
    cursor = psycopg2.connect(postgres_url.replace("+psycopg2", "")).cursor()
    cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (names[0][1:],))
    assert cursor.fetchone() == (0,), "previous test's database (with open connection) not dropped"

def test_d_fails():
    raise AssertionError("a failing test must not prevent cleanup")
"""


@pytest.fixture(scope="module")
def full_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[InnerRun, dict[str, Any]]:
    """Run the inner session once, with an outer environment that points at real AWS."""
    if "TEST_DATABASE_URL" in os.environ:
        pytest.skip("lifecycle of the throwaway server; TEST_DATABASE_URL points elsewhere")
    directory = tmp_path_factory.mktemp("full-session")
    info_file = directory / "info.json"
    run = run_inner_pytest(
        directory,
        RECORDING_TEST + FULL_SESSION_TESTS,
        env={
            # The kit's own servers are under test: no external emulator.
            "TEST_AWS_ENDPOINT_URL": None,
            "INFO_FILE": str(info_file),
            "AWS_PROFILE": "production",
            "AWS_ENDPOINT_URL_S3": "https://s3.amazonaws.com",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
        },
    )
    assert info_file.exists(), run.output
    return run, json.loads(info_file.read_text())


def test_fixtures_work_in_a_fresh_session(full_session: tuple[InnerRun, dict[str, Any]]) -> None:
    run, _ = full_session
    assert run.results["test_a_records"] == "passed", run.output


def test_test_without_moto_after_a_moto_test_still_hits_the_dead_endpoint(
    full_session: tuple[InnerRun, dict[str, Any]],
) -> None:
    run, _ = full_session
    assert run.results["test_b_forgot_moto"] == "passed", run.output


def test_each_test_gets_a_fresh_database_dropped_even_with_open_connections(
    full_session: tuple[InnerRun, dict[str, Any]],
) -> None:
    run, _ = full_session
    assert run.results["test_c_next_database"] == "passed", run.output


def test_session_with_a_failing_test_stops_everything_and_removes_its_files(
    full_session: tuple[InnerRun, dict[str, Any]],
) -> None:
    run, info = full_session
    assert run.results["test_d_fails"] == "failure", run.output
    assert run.returncode == 1

    _assert_nothing_left(info)
    assert not Path(info["base_dir"]).exists(), "temporary data directory left behind"


@pytest.fixture
def session_temp_root() -> Iterator[Path]:
    """A temp root of the inner session's own.

    Test suites running alongside this one sweep the shared temp directory at start-up; in it,
    the killed session's directory is stale by design and one of them may remove it first.
    The directory is short and world-traversable so an unprivileged server user can reach it.
    """
    root = Path(tempfile.mkdtemp(prefix="tk-killed-", dir="/tmp"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="parent-death signal needs setpriv")
@pytest.mark.usefixtures("_local_postgres_only")
def test_killed_session_does_not_orphan_postgres(tmp_path: Path, session_temp_root: Path) -> None:
    """SIGKILL skips every teardown; the parent-death signal must still stop the server."""
    info_file = tmp_path / "info.json"
    write_inner_suite(
        tmp_path,
        RECORDING_TEST
        + """
def test_records_then_hangs(postgres_db_url, moto_endpoint):
    _record(postgres_db_url, moto_endpoint)
    time.sleep(120)
""",
    )
    inner = subprocess.Popen(
        pytest_command(tmp_path),
        cwd=tmp_path,
        env=inner_env(
            {
                "INFO_FILE": str(info_file),
                "TEST_AWS_ENDPOINT_URL": None,
                "TMPDIR": str(session_temp_root),
            }
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while not info_file.exists() or not info_file.read_text():
            assert inner.poll() is None, "inner session ended before recording"
            assert time.monotonic() < deadline, "inner session never started its services"
            time.sleep(0.1)
    finally:
        inner.send_signal(signal.SIGKILL)
        inner.wait(timeout=30)
    info = json.loads(info_file.read_text())

    deadline = time.monotonic() + 30
    while not _process_gone(int(info["postmaster_pid"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    _assert_nothing_left(info)

    # The killed session could not delete its directory; the next session sweeps it.
    assert Path(info["base_dir"]).parent == session_temp_root
    assert Path(info["base_dir"]).exists()
    remove_stale_directories(str(session_temp_root))
    assert not Path(info["base_dir"]).exists()
