"""Online store on SQLite and on PostgreSQL with the production roles: loading from Spark,
the swap, grants that survive it, the orphan sweep, and a swap that cannot stall serving."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg2
import pytest
import sqlalchemy as sa
from pyspark.sql import DataFrame, SparkSession

from feature_pipeline import store_loading
from feature_pipeline.online_store import (
    OnlineStoreError,
    StoreSettings,
    SwapOutcome,
    staged_publication,
)
from feature_pipeline.store_access import StoreTarget, store_engine
from tests.conftest import StoreDatabase
from tests.stores import table_names

ONLINE_SCHEMA = (
    "id long, nb_previous_loans int, avg_amount_loans_previous double, age int, "
    "years_on_the_job int, flag_own_car int, as_of date, last_loan_date date, run_id string"
)
FAST_SWAP = StoreSettings(first_backoff_seconds=0.05)


def _rows(customers: int, run_id: str, first_id: int = 1) -> list[tuple[Any, ...]]:
    return [
        (
            i,
            i % 7,
            None if i % 5 == 0 else 100.0 + i / 8,
            None if i % 11 == 0 else 20 + i % 40,
            None if i % 3 == 0 else i % 30,
            i % 2,
            date(2021, 9, 17),
            date(2020, 12, 30),
            run_id,
        )
        for i in range(first_id, first_id + customers)
    ]


def _frame(spark: SparkSession, customers: int, run_id: str, first_id: int = 1) -> DataFrame:
    # Three partitions, so a load really takes several tasks (or several driver fetches).
    rows = _rows(customers, run_id, first_id)
    return spark.createDataFrame(rows, ONLINE_SCHEMA).repartition(3)


def publish(frame: DataFrame, target: StoreTarget, settings: StoreSettings = FAST_SWAP) -> Any:
    with staged_publication(frame, target, settings) as staged:
        volume = staged.volume()
        outcome: SwapOutcome = staged.publish()
    return staged.rows, volume, outcome


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> StoreTarget:
    if request.param == "sqlite":
        return StoreTarget(f"sqlite:///{tmp_path / 'online.db'}")
    database: StoreDatabase = request.getfixturevalue("store_db")
    return StoreTarget(database.pipeline_url)


def _read(url: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(sa.text("SELECT * FROM customer_features ORDER BY id"), connection)
    finally:
        engine.dispose()


def test_publish_writes_every_row_with_nulls_intact(
    spark: SparkSession, target: StoreTarget
) -> None:
    rows, volume, outcome = publish(_frame(spark, 50, "run-a"), target)
    assert (rows, volume.live_rows, outcome.attempts) == (50, None, 1)
    stored = _read(target.url)
    assert stored["id"].tolist() == list(range(1, 51))
    assert stored["age"].isna().sum() == 4
    assert stored["years_on_the_job"].isna().sum() == 16
    assert stored["avg_amount_loans_previous"].isna().sum() == 10
    row = stored.set_index("id").loc[7]
    assert (row["nb_previous_loans"], row["age"], row["years_on_the_job"], row["flag_own_car"]) == (
        0, 27, 7, 1,
    )  # fmt: skip
    assert row["avg_amount_loans_previous"] == 100.875
    assert str(row["as_of"])[:10] == "2021-09-17"
    assert str(row["last_loan_date"])[:10] == "2020-12-30"
    assert table_names(target.url) == ["customer_features"]


def test_doubles_survive_the_load_bit_for_bit(spark: SparkSession, target: StoreTarget) -> None:
    values = [0.1 + 0.2, 1 / 3, 123456.78901234567, 5e-324, 1.7976931348623157e308]
    rows = [
        (i, 1, value, 30, 3, 0, date(2021, 9, 17), date(2021, 1, 1), "r")
        for i, value in enumerate(values)
    ]
    publish(spark.createDataFrame(rows, ONLINE_SCHEMA), target)
    assert _read(target.url)["avg_amount_loans_previous"].tolist() == values


def test_republishing_replaces_and_reports_lost_customers(
    spark: SparkSession, target: StoreTarget
) -> None:
    publish(_frame(spark, 40, "run-a"), target)
    _, volume, _ = publish(_frame(spark, 25, "run-b", first_id=30), target)
    first = _read(target.url)
    # Live ids 1..40, new ids 30..54: 29 live customers are not in the new table.
    assert (volume.live_rows, volume.new_rows, volume.lost_customers) == (40, 25, 29)
    publish(_frame(spark, 25, "run-b", first_id=30), target)
    second = _read(target.url)
    assert first["id"].tolist() == list(range(30, 55))
    assert set(first["run_id"]) == {"run-b"}
    pd.testing.assert_frame_equal(first, second)
    assert table_names(target.url) == ["customer_features"]


@pytest.mark.parametrize("defect", ["duplicate id", "null as_of"])
def test_a_failed_load_leaves_the_live_table_untouched(
    spark: SparkSession, target: StoreTarget, defect: str
) -> None:
    publish(_frame(spark, 30, "run-a"), target)
    rows = _rows(10, "run-b")
    if defect == "duplicate id":
        rows.append(rows[0])
    else:
        rows[3] = (*rows[3][:6], None, *rows[3][7:])
    with pytest.raises(OnlineStoreError, match="loading the online store failed"):
        publish(spark.createDataFrame(rows, ONLINE_SCHEMA).repartition(2), target)
    stored = _read(target.url)
    assert (len(stored), set(stored["run_id"])) == (30, {"run-a"})
    assert table_names(target.url) == ["customer_features"]


def test_orphans_of_a_killed_run_are_swept_at_the_next_publication(
    spark: SparkSession, target: StoreTarget
) -> None:
    publish(_frame(spark, 5, "run-a"), target)
    engine = store_engine(target)
    with engine.begin() as connection:
        for name in ("customer_features_new_0dead", "customer_features_old_0dead"):
            connection.execute(sa.text(f'CREATE TABLE "{name}" (id BIGINT)'))
    engine.dispose()
    with staged_publication(_frame(spark, 5, "run-b"), target, FAST_SWAP) as staged:
        assert staged.swept == ["customer_features_new_0dead", "customer_features_old_0dead"]
        staged.publish()
    assert table_names(target.url) == ["customer_features"]


def test_readers_never_see_an_empty_or_partial_table_during_swaps(
    spark: SparkSession, target: StoreTarget
) -> None:
    sizes = {"run-0": 3000, "run-1": 1500, "run-2": 3000, "run-3": 1500, "run-4": 3000}
    publish(_frame(spark, sizes["run-0"], "run-0"), target)
    observations: list[tuple[int, int, str, str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        engine = sa.create_engine(target.url)
        try:
            while not stop.is_set():
                with engine.connect() as connection:
                    count, runs, low, high = connection.execute(
                        sa.text(
                            "SELECT count(*), count(DISTINCT run_id), min(run_id), max(run_id) "
                            "FROM customer_features"
                        )
                    ).one()
                observations.append((count, runs, low, high))
        except BaseException as error:
            errors.append(error)
        finally:
            engine.dispose()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for run_id in list(sizes)[1:]:
            while len(observations) < 3 and not errors:
                time.sleep(0.01)  # make sure the reader is polling before each swap
            publish(_frame(spark, sizes[run_id], run_id), target)
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert len(observations) >= 10
    for count, runs, low, high in observations:
        assert (runs, low) == (1, high), (count, runs, low, high)
        assert count == sizes[low], (count, low)
    assert observations[-1][2] == "run-4"
    assert len({low for _, _, low, _ in observations}) >= 2


# --- PostgreSQL only: roles, grants, locks, IAM ----------------------------------------------


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def test_the_pipeline_owns_the_table_and_serving_roles_may_only_read_it(
    spark: SparkSession, store_db: StoreDatabase
) -> None:
    target = StoreTarget(store_db.pipeline_url)
    publish(_frame(spark, 3, "run-a"), target)
    publish(_frame(spark, 4, "run-b"), target)  # grants must survive the swap
    engine = sa.create_engine(store_db.admin_url)
    with engine.connect() as connection:
        owner = connection.execute(
            sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'customer_features'")
        ).scalar_one()
        columns = {
            c["name"]: (str(c["type"]), c["nullable"])
            for c in sa.inspect(connection).get_columns("customer_features")
        }
        primary_key = sa.inspect(connection).get_pk_constraint("customer_features")
    engine.dispose()
    assert owner == "feature_pipeline"
    assert primary_key["constrained_columns"] == ["id"]
    assert columns == {
        "id": ("BIGINT", False),
        "nb_previous_loans": ("INTEGER", False),
        "avg_amount_loans_previous": ("DOUBLE PRECISION", True),
        "age": ("INTEGER", True),
        "years_on_the_job": ("INTEGER", True),
        "flag_own_car": ("INTEGER", False),
        "as_of": ("DATE", False),
        "last_loan_date": ("DATE", False),
        "run_id": ("TEXT", False),
    }
    for reader in (store_db.inference_url, store_db.monitoring_url):
        assert len(_read(reader)) == 4
        connection = psycopg2.connect(_libpq(reader))
        try:
            with (
                connection.cursor() as cursor,
                pytest.raises(psycopg2.errors.InsufficientPrivilege),
            ):
                cursor.execute("DELETE FROM customer_features")
        finally:
            connection.close()


@pytest.fixture
def blocker(store_db: StoreDatabase) -> Iterator[Any]:
    """An analyst's session that read the live table and left its transaction open."""
    connection = psycopg2.connect(_libpq(store_db.monitoring_url))
    try:
        yield connection
    finally:
        connection.close()


def _serve_continuously(
    url: str, stop: threading.Event, latencies: list[float], failures: list[str]
) -> None:
    """What inference does: short reads by id under a statement timeout."""
    connection = psycopg2.connect(_libpq(url), options="-c statement_timeout=1000")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    cursor.execute("SELECT age FROM customer_features WHERE id = %s", (7,))
                    cursor.fetchall()
                except psycopg2.errors.QueryCanceled as error:
                    failures.append(str(error).strip())
                latencies.append(time.perf_counter() - started)
                time.sleep(0.01)
    finally:
        connection.close()


def _release_once_the_swap_waits(
    admin_url: str, blocker: Any, hold_seconds: float, stop: threading.Event
) -> None:
    """Roll the blocker back ``hold_seconds`` after a session first waits for a table lock.

    Timed from the swap's first lock wait, not from the publish call, so a slow load of the new
    table (a loaded machine) cannot let the blocker go before the swap ever meets it.
    """
    connection = psycopg2.connect(_libpq(admin_url))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'relation'"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.01)
        if not stop.wait(hold_seconds):
            blocker.rollback()
    finally:
        connection.close()


@pytest.mark.parametrize("lock_timeout_ms", [200, 5000])
def test_a_swap_behind_an_open_transaction_does_not_stall_serving(
    spark: SparkSession, store_db: StoreDatabase, blocker: Any, lock_timeout_ms: int
) -> None:
    target = StoreTarget(store_db.pipeline_url)
    publish(_frame(spark, 50, "run-a"), target)
    with blocker.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customer_features")  # holds ACCESS SHARE until commit
    stop, latencies, failures = threading.Event(), [], []
    server = threading.Thread(
        target=_serve_continuously, args=(store_db.inference_url, stop, latencies, failures)
    )
    released = threading.Event()
    release = threading.Thread(
        target=_release_once_the_swap_waits,
        args=(store_db.admin_url, blocker, 2.5, released),
    )
    settings = StoreSettings(
        lock_timeout_ms=lock_timeout_ms,
        swap_attempts=30,
        first_backoff_seconds=0.1,
        max_backoff_seconds=0.4,
    )
    server.start()
    try:
        time.sleep(0.2)
        release.start()
        _, _, outcome = publish(_frame(spark, 60, "run-b"), target, settings)
    finally:
        stop.set()
        server.join(timeout=30)
        released.set()
        release.join(timeout=30)
    assert set(_read(target.url)["run_id"]) == {"run-b"}
    if lock_timeout_ms == 200:
        # The swap gave way to the open transaction and got in once it ended; serving never
        # waited longer than one lock_timeout.
        assert outcome.attempts > 1
        assert failures == []
        assert max(latencies) < 0.6, max(latencies)
    else:
        # The control: a rename that queues for its lock stalls every read behind it.
        assert outcome.attempts == 1
        assert failures
        assert "statement timeout" in failures[0]


def test_a_swap_that_never_gets_its_lock_gives_up_and_leaves_the_live_table(
    spark: SparkSession, store_db: StoreDatabase, blocker: Any
) -> None:
    target = StoreTarget(store_db.pipeline_url)
    publish(_frame(spark, 50, "run-a"), target)
    with blocker.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customer_features")
    settings = StoreSettings(lock_timeout_ms=50, swap_attempts=3, first_backoff_seconds=0.05)
    with pytest.raises(OnlineStoreError, match=r"in 3 attempts \(held by pid \d+ \(monitoring"):
        publish(_frame(spark, 60, "run-b"), target, settings)
    blocker.rollback()
    assert set(_read(target.url)["run_id"]) == {"run-a"}
    assert table_names(store_db.admin_url) == ["customer_features"]


def test_a_partition_is_copied_once_even_if_its_task_runs_twice(
    spark: SparkSession, store_db: StoreDatabase
) -> None:
    import pyarrow as pa

    target = StoreTarget(store_db.pipeline_url)
    engine = sa.create_engine(store_db.pipeline_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE staging (id BIGINT, run_id TEXT)"))
        connection.execute(sa.text("CREATE TABLE staging_parts (part INTEGER PRIMARY KEY)"))
    batch = pa.RecordBatch.from_pydict({"id": [1, 2], "run_id": ["r", "r"]})
    columns = store_loading.ONLINE_COLUMNS
    try:
        store_loading.ONLINE_COLUMNS = ("id", "run_id")  # type: ignore[misc]
        first = list(
            store_loading._copy_partition(target, "staging", "staging_parts", iter([batch]))
        )
        retry = list(
            store_loading._copy_partition(target, "staging", "staging_parts", iter([batch]))
        )
    finally:
        store_loading.ONLINE_COLUMNS = columns  # type: ignore[misc]
    assert (first[0].to_pydict()["copied"], retry[0].to_pydict()["copied"]) == ([True], [False])
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM staging")).scalar_one() == 2
    engine.dispose()


def test_iam_mode_mints_a_token_per_connection_and_verifies_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import certifi

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    url = "postgresql+psycopg2://feature_pipeline@proxy.example.internal:5432/features"
    engine = store_engine(StoreTarget(url, "iam"))
    seen: list[dict[str, Any]] = []

    @sa.event.listens_for(engine, "do_connect")
    def capture(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.append(dict(cparams))
        raise ConnectionRefusedError("captured")  # stop before reaching the network

    for _ in range(2):
        with pytest.raises(ConnectionRefusedError, match="captured"), engine.connect():
            pass
    engine.dispose()
    assert [params["sslmode"] for params in seen] == ["verify-full", "verify-full"]
    assert seen[0]["sslrootcert"] == certifi.where()
    token = seen[0]["password"]
    assert token.startswith("proxy.example.internal:5432/?Action=connect&DBUser=feature_pipeline")
    assert "X-Amz-Signature=" in token
    assert "%2Feu-west-1%2Frds-db%2Faws4_request" in token  # signed for RDS in the region
    assert (seen[0]["user"], seen[0]["host"]) == ("feature_pipeline", "proxy.example.internal")

    own_ca = store_engine(StoreTarget(url + "?sslrootcert=/etc/ssl/test-ca.pem", "iam"))
    seen.clear()
    sa.event.listen(own_ca, "do_connect", capture)
    with pytest.raises(ConnectionRefusedError), own_ca.connect():
        pass
    own_ca.dispose()
    assert seen[0]["sslrootcert"] == "/etc/ssl/test-ca.pem"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///x.db", "needs a postgresql URL"),
        ("postgresql+psycopg2://feature_pipeline:secret@proxy:5432/features", "must not carry"),
        ("postgresql+psycopg2://proxy:5432/features", "must name the host and the role"),
    ],
)
def test_iam_mode_refuses_urls_that_cannot_work(url: str, message: str) -> None:
    from feature_pipeline.errors import InputError

    with pytest.raises(InputError, match=message):
        store_engine(StoreTarget(url, "iam"))
