"""Online store on SQLite and real PostgreSQL: contents, types, idempotence, atomic swap."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import create_engine, inspect, text

from feature_pipeline import online_store
from feature_pipeline.online_store import OnlineStoreError, publish


def _frame(customers: int, run_id: str, first_id: int = 1) -> pd.DataFrame:
    ids = range(first_id, first_id + customers)
    return pd.DataFrame(
        {
            "id": list(ids),
            "nb_previous_loans": [i % 7 for i in ids],
            "avg_amount_loans_previous": [None if i % 5 == 0 else 100.0 + i / 8 for i in ids],
            "age": [None if i % 11 == 0 else 20 + i % 40 for i in ids],
            "years_on_the_job": [None if i % 3 == 0 else i % 30 for i in ids],
            "flag_own_car": [i % 2 for i in ids],
            "as_of": [date(2021, 9, 17)] * customers,
            "last_loan_date": [date(2020, 12, 30)] * customers,
            "run_id": [run_id] * customers,
        }
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'online.db'}"
    return str(request.getfixturevalue("postgres_db_url"))


def _read(url: str) -> pd.DataFrame:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(text("SELECT * FROM customer_features ORDER BY id"), connection)
    finally:
        engine.dispose()


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_publish_writes_every_row_with_nulls_intact(store_url: str) -> None:
    frame = _frame(50, "run-a")
    assert publish(frame, store_url) == 50
    stored = _read(store_url)
    assert stored["id"].tolist() == list(range(1, 51))
    assert stored["age"].isna().sum() == frame["age"].isna().sum() == 4
    assert stored["years_on_the_job"].isna().sum() == 16
    assert stored["avg_amount_loans_previous"].isna().sum() == 10
    row = stored.set_index("id").loc[7]
    assert (row["nb_previous_loans"], row["age"], row["years_on_the_job"], row["flag_own_car"]) == (
        0, 27, 7, 1,
    )  # fmt: skip
    assert row["avg_amount_loans_previous"] == pytest.approx(100.875)
    assert str(row["as_of"])[:10] == "2021-09-17"
    assert str(row["last_loan_date"])[:10] == "2020-12-30"
    assert _tables(store_url) == ["customer_features"]


def test_republishing_replaces_and_is_idempotent(store_url: str) -> None:
    publish(_frame(40, "run-a"), store_url)
    publish(_frame(25, "run-b", first_id=100), store_url)
    first = _read(store_url)
    publish(_frame(25, "run-b", first_id=100), store_url)
    second = _read(store_url)
    assert first["id"].tolist() == list(range(100, 125))
    assert set(first["run_id"]) == {"run-b"}
    pd.testing.assert_frame_equal(first, second)
    assert _tables(store_url) == ["customer_features"]


def test_postgres_schema_follows_the_contract(postgres_db_url: str) -> None:
    publish(_frame(3, "run-a"), postgres_db_url)
    engine = create_engine(postgres_db_url)
    try:
        inspector = inspect(engine)
        columns = {
            c["name"]: (str(c["type"]), c["nullable"])
            for c in inspector.get_columns("customer_features")
        }
        primary_key = inspector.get_pk_constraint("customer_features")["constrained_columns"]
    finally:
        engine.dispose()
    assert primary_key == ["id"]
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


def test_a_failed_load_leaves_the_live_table_untouched(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(_frame(30, "run-a"), store_url)

    def broken_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
        raise OSError("disk full")

    monkeypatch.setattr(online_store, "_python_rows", broken_rows)
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda *args, **kwargs: broken_rows(args[0]))
    with pytest.raises((OnlineStoreError, OSError)):
        publish(_frame(10, "run-b"), store_url)
    monkeypatch.undo()
    stored = _read(store_url)
    assert len(stored) == 30
    assert set(stored["run_id"]) == {"run-a"}
    assert _tables(store_url) == ["customer_features"]


def test_invalid_rows_are_refused_before_touching_the_store(store_url: str) -> None:
    publish(_frame(5, "run-a"), store_url)
    duplicated = pd.concat([_frame(3, "run-b"), _frame(1, "run-b")])
    with pytest.raises(OnlineStoreError, match="duplicate"):
        publish(duplicated, store_url)
    missing_date = _frame(3, "run-b")
    missing_date.loc[0, "last_loan_date"] = None
    with pytest.raises(OnlineStoreError, match="last_loan_date"):
        publish(missing_date, store_url)
    assert set(_read(store_url)["run_id"]) == {"run-a"}


def test_readers_never_see_an_empty_or_partial_table_during_swaps(store_url: str) -> None:
    sizes = {"run-0": 3000, "run-1": 1500, "run-2": 3000, "run-3": 1500, "run-4": 3000}
    publish(_frame(sizes["run-0"], "run-0"), store_url)
    observations: list[tuple[int, int, str, str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        engine = create_engine(store_url)
        try:
            while not stop.is_set():
                with engine.connect() as connection:
                    count, runs, low, high = connection.execute(
                        text(
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
            publish(_frame(sizes[run_id], run_id), store_url)
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert len(observations) >= 10
    seen_runs = set()
    for count, runs, low, high in observations:
        assert runs == 1, (count, runs, low, high)
        assert low == high, (count, runs, low, high)
        assert count == sizes[low], (count, low)
        seen_runs.add(low)
    assert "run-4" in seen_runs
    assert len(seen_runs) >= 2
