"""Property-based API testing with schemathesis against a real uvicorn server.

Every check schemathesis has (server errors, status codes, content types, response schemas,
positive/negative data, authentication...) must pass for every operation in the OpenAPI schema.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from isvc_support import CUSTOMER_REF_KEY, TrainedBundle

BIN = Path(sys.executable).parent
API_KEY = "schemathesis-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(trained_bundle: TrainedBundle, sqlite_store: Path, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "API_KEY": API_KEY,
        "LOG_LEVEL": "WARNING",
        "CUSTOMER_REF_KEY": CUSTOMER_REF_KEY,
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(BIN / "inference-service"),
            "serve",
            "--bundle-dir",
            str(trained_bundle.directory),
            "--store-url",
            f"sqlite:///{sqlite_store}",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_schemathesis_finds_no_issue(live_server: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "run",
            f"{live_server}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "60",
            "--seed",
            "20240630",
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--no-color",
            "--header",
            f"X-API-Key: {API_KEY}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # schemathesis may write its report directory here
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
