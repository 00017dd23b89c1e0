"""Fault injection: SIGKILL the pipeline at every stage boundary and inside the store load.

For each kill point and each store (SQLite, PostgreSQL with the production roles): a good run
A is live; run B (more customers) is started as the real command in its own process group with
FEATURE_PIPELINE_KILL_AT naming the point, and the whole group (driver, JVM, Spark's Python
workers) is killed there, while a reader keeps querying the store as serving does and keeps
following `_LATEST` as training does. The reader must never see an empty, partial or mixed
table, nor a `_LATEST` naming a run that is not complete; after the kill the previous run is
still readable through `_LATEST`; and running B again converges to B everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pyspark.sql import SparkSession

from feature_pipeline.chaos import KILL_AT, KILL_POINTS
from feature_pipeline.config import QualitySettings
from feature_pipeline.inputs import sha256_of
from feature_pipeline.pipeline import default_run_id, run, settings_digest
from feature_pipeline.request import RunRequest
from platform_testkit import postgres
from tests.conftest import prepare_store_database
from tests.files import customers_file
from tests.stores import table_names

AS_OF = "2021-09-17"
AS_OF_DATE = date.fromisoformat(AS_OF)
CUSTOMERS_A, CUSTOMERS_B = 100, 110
# Which run each side shows right after a kill at each point.
STORE_SHOWS_B = {"store_published", "latest_moved"}
LATEST_SHOWS_B = {"latest_moved"}


@dataclass(frozen=True)
class Inputs:
    a: Path
    b: Path
    run_b: str


@pytest.fixture(scope="module")
def inputs(generated_loans: Path, tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    folder = tmp_path_factory.mktemp("chaos-inputs")
    a = customers_file(generated_loans, folder / "a.csv", limit=CUSTOMERS_A)
    b = customers_file(generated_loans, folder / "b.csv", limit=CUSTOMERS_B)
    digest = settings_digest(QualitySettings())
    run_b = default_run_id(AS_OF_DATE, f"sha256:{sha256_of(b)}", digest)
    return Inputs(a, b, run_b)


@dataclass(frozen=True)
class GoodState:
    backend: str
    lake: Path
    store_url: str  # as the pipeline connects
    reader_url: str  # as serving connects
    run_a: str
    server_url: str | None = None  # PostgreSQL: the server, to clone the database from
    database: str | None = None


BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="module")
def goods(
    request: pytest.FixtureRequest,
    spark: SparkSession,
    inputs: Inputs,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, GoodState]]:
    """Run A committed and live, per store; each test starts from copies of these states."""
    states = {}
    server = request.getfixturevalue("store_roles")
    database = postgres.unique_database_name("chaos")
    postgres.create_database(server, database)
    for backend in BACKENDS:
        folder = tmp_path_factory.mktemp(f"chaos-good-{backend}")
        if backend == "sqlite":
            store_url = reader_url = f"sqlite:///{folder / 'store.db'}"
        else:
            urls = prepare_store_database(postgres.with_database(server, database))
            store_url, reader_url = urls.pipeline_url, urls.inference_url
        lake = folder / "lake"
        request_a = RunRequest.from_uris(str(inputs.a), str(lake), store_url, AS_OF_DATE)
        run_a = run(request_a, spark=spark)["run_id"]
        states[backend] = GoodState(backend, lake, store_url, reader_url, run_a, server, database)
    yield states
    postgres.drop_database(server, database)


@contextmanager
def _copy_of(good: GoodState, folder: Path) -> Iterator[GoodState]:
    """A private copy of a good state: the lake folder and the store."""
    lake = folder / "lake"
    shutil.copytree(good.lake, lake)
    if good.backend == "sqlite":
        source = Path(good.store_url.removeprefix("sqlite:///"))
        for path in source.parent.glob(f"{source.name}*"):
            shutil.copy(path, folder / path.name)
        url = f"sqlite:///{folder / source.name}"
        yield GoodState(good.backend, lake, url, url, good.run_a)
        return
    assert good.server_url
    assert good.database
    name = postgres.unique_database_name("chaos")
    admin = postgres.with_database(good.server_url, "postgres")
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{good.database}"'))
    engine.dispose()
    clone = prepare_store_database(postgres.with_database(good.server_url, name))
    try:
        yield GoodState(good.backend, lake, clone.pipeline_url, clone.inference_url, good.run_a)
    finally:
        postgres.drop_database(good.server_url, name)


@dataclass
class Reader:
    """Serving and training, reading continuously while the pipeline runs and dies."""

    state: GoodState
    sizes: dict[str, int]
    reads: int = 0
    problems: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _check_store(self, connection: Any) -> None:
        count, runs, low, high = connection.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT run_id), min(run_id), max(run_id) "
                "FROM customer_features"
            )
        ).one()
        if runs != 1 or low != high or count != self.sizes.get(low):
            self.problems.append(f"store: {count} rows of runs {low}..{high} ({runs} runs)")

    def _check_lake(self) -> None:
        pointer = json.loads((self.state.lake / "_LATEST").read_text())
        folder = self.state.lake / pointer["prefix"]
        manifest = json.loads((folder / "_SUCCESS").read_text())
        for item in manifest["files"]:
            if (folder / item["path"]).stat().st_size != item["size_bytes"]:
                self.problems.append(f"lake: {item['path']} differs from the manifest")

    def _loop(self) -> None:
        engine = sa.create_engine(self.state.reader_url)
        try:
            while not self._stop.is_set():
                try:
                    with engine.connect() as connection:
                        self._check_store(connection)
                    self._check_lake()
                except Exception as error:  # any failure to read is a finding
                    self.problems.append(f"{type(error).__name__}: {error}")
                self.reads += 1
                time.sleep(0.02)
        finally:
            engine.dispose()

    def __enter__(self) -> Reader:
        self._thread = threading.Thread(target=self._loop)
        self._thread.start()
        while self.reads < 3 and not self.problems:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _run_killed_at(point: str, state: GoodState, source: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "feature_pipeline", "run", "--input", str(source),
        "--output", str(state.lake), "--online-store", state.store_url, "--as-of", AS_OF,
    ]  # fmt: skip
    environment = {
        **os.environ,
        KILL_AT: point,
        "FEATURE_PIPELINE_SPARK_MASTER": "local[1]",
        "FEATURE_PIPELINE_SPARK_SHUFFLE_PARTITIONS": "2",
    }
    # Its own process group: the kill takes the driver, its JVM and Spark's Python workers.
    return subprocess.run(
        command,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
        check=False,
    )


def _store_runs(url: str) -> list[tuple[str, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT run_id, count(*) FROM customer_features GROUP BY run_id")
            )
            return [(run_id, count) for run_id, count in rows]
    finally:
        engine.dispose()


def _check_killed(
    point: str, state: GoodState, inputs: Inputs, killed: subprocess.CompletedProcess[str]
) -> None:
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    sizes = {state.run_a: CUSTOMERS_A, inputs.run_b: CUSTOMERS_B}
    expected_store = inputs.run_b if point in STORE_SHOWS_B else state.run_a
    assert _store_runs(state.store_url) == [(expected_store, sizes[expected_store])]
    pointer = json.loads((state.lake / "_LATEST").read_text())
    assert pointer["run_id"] == (inputs.run_b if point in LATEST_SHOWS_B else state.run_a)
    assert (state.lake / pointer["prefix"] / "_SUCCESS").is_file()


def _check_converged(state: GoodState, inputs: Inputs, spark: SparkSession) -> None:
    request = RunRequest.from_uris(str(inputs.b), str(state.lake), state.store_url, AS_OF_DATE)
    assert run(request, spark=spark)["run_id"] == inputs.run_b
    assert _store_runs(state.store_url) == [(inputs.run_b, CUSTOMERS_B)]
    assert json.loads((state.lake / "_LATEST").read_text())["run_id"] == inputs.run_b
    assert table_names(state.store_url) == ["customer_features"]  # orphans swept
    assert sorted(p.name for p in state.lake.iterdir()) == sorted(
        ["_LATEST", f"run={state.run_a}", f"run={inputs.run_b}"]
    )  # no staging folder, no half-written run left


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_run_killed_anywhere_leaves_a_readable_state_and_a_rerun_converges(
    point: str,
    goods: dict[str, GoodState],
    inputs: Inputs,
    spark: SparkSession,
    tmp_path: Path,
) -> None:
    with ExitStack() as stack:
        states = [
            stack.enter_context(_copy_of(goods[backend], tmp_path / backend))
            for backend in BACKENDS
        ]
        sizes = {goods["sqlite"].run_a: CUSTOMERS_A, inputs.run_b: CUSTOMERS_B}
        readers = [stack.enter_context(Reader(state, sizes)) for state in states]
        # Both stores at once: each run is mostly one busy thread, and this halves the wall time.
        with ThreadPoolExecutor(max_workers=len(states)) as pool:
            killed = list(pool.map(lambda s: _run_killed_at(point, s, inputs.b), states))
        for reader in readers:
            reader.stop()
        for state, reader, outcome in zip(states, readers, killed, strict=True):
            assert reader.problems == [], (state.backend, reader.problems[:5])
            # The reader really was reading while the run lived and died.
            assert reader.reads >= 20, (state.backend, reader.reads)
            print(f"\nkill point {state.backend}/{point}: {reader.reads} consistent reads")
            _check_killed(point, state, inputs, outcome)
        for state in states:
            _check_converged(state, inputs, spark)
