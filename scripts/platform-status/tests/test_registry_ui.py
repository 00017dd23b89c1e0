"""`make registry-ui`: the MLflow UI on the `make run` registry, reachable on loopback only."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

COMMAND = Path(sys.executable).with_name("platform-status")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening_addresses(port: int) -> set[str]:
    """Local addresses in LISTEN state on ``port`` (Linux /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


@pytest.fixture
def ui(tmp_path: Path, registry_db: Path) -> Iterator[int]:
    run_dir = tmp_path / "run"
    (run_dir / "mlflow").mkdir(parents=True)
    shutil.copy(registry_db, run_dir / "mlflow" / "mlflow.db")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    server = subprocess.Popen(
        [str(COMMAND), "registry-ui", "--run-dir", str(run_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the server's workers are killed with it
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                time.sleep(0.3)
        else:
            pytest.fail("the registry UI did not answer within 90 s")
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_the_ui_serves_the_run_registry_on_loopback_only(ui: int) -> None:
    url = f"http://127.0.0.1:{ui}/ajax-api/2.0/mlflow/registered-models/get?name=credit-risk"
    with urllib.request.urlopen(url, timeout=10) as response:
        model = json.load(response)["registered_model"]
    aliases = {alias["alias"]: alias["version"] for alias in model["aliases"]}
    assert aliases == {"champion": "1", "challenger": "2"}
    with urllib.request.urlopen(f"http://127.0.0.1:{ui}/", timeout=10) as response:
        assert "MLflow" in response.read().decode()
    assert _listening_addresses(ui) == {"0100007F"}  # 127.0.0.1, no wildcard, no other address


def test_without_a_registry_it_says_to_run_make_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(COMMAND), "registry-ui", "--run-dir", str(tmp_path)],
        env={k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "run 'make run' first" in result.stderr
