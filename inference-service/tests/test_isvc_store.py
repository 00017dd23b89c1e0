"""Feature store on SQLite and real PostgreSQL: reads, schema checks, outages and recovery."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from isvc_support import (
    AS_OF,
    CUSTOMER_REF_KEY,
    FEATURE_NAMES,
    FEATURES,
    KNOWN_CUSTOMERS,
    TrainedBundle,
    create_sqlite_store,
    write_bundle,
)

from inference_service.config import Settings
from inference_service.database import StoreConfigError, build_engine
from inference_service.resources import build_resources
from inference_service.store import FeatureStore, StoreSchemaError

DTYPES = dict(FEATURES)


# --- SQLite -----------------------------------------------------------------------------------


def test_sqlite_reads_rows_and_nulls(sqlite_store: Path) -> None:
    store = FeatureStore(build_engine(f"sqlite:///{sqlite_store}"), DTYPES)
    store.verify_schema()
    row = asyncio.run(store.get(5008832))
    assert row is not None
    assert row.features == dict(zip(FEATURE_NAMES, KNOWN_CUSTOMERS[5008832], strict=True))
    assert row.as_of.isoformat() == AS_OF
    assert asyncio.run(store.get(123)) is None
    many = asyncio.run(store.get_many([1, 5009000, 1, 404]))
    assert sorted(many.rows) == [1, 5009000]
    assert many.corrupt == {}


def test_sqlite_store_going_away_and_coming_back(make_client: Any, sqlite_store: Path) -> None:
    client = make_client()
    assert client.post("/predict", json={"id": "1"}).status_code == 200

    moved = sqlite_store.with_suffix(".away")
    sqlite_store.rename(moved)
    try:
        down = client.post("/predict", json={"id": "1"})
        assert down.status_code == 503
        assert down.json()["detail"] == "feature store unavailable, retry later"
        assert down.headers["retry-after"] == "1"
        assert client.post("/predict/batch", json={"ids": ["1"]}).status_code == 503
        assert client.get("/customers/1/features").status_code == 503
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["store_reachable"] is False
        assert client.get("/health").status_code == 200
        # Read-only mode: a request must not leave an empty database in the file's place.
        assert not sqlite_store.exists()
    finally:
        moved.rename(sqlite_store)

    assert client.post("/predict", json={"id": "1"}).status_code == 200
    assert client.get("/ready").status_code == 200


def test_sqlite_file_replaced_is_picked_up(make_client: Any, sqlite_store: Path) -> None:
    client = make_client()
    assert client.get("/customers/1/features").json()["features"]["age"] == 22

    # The pipeline publishes a new materialisation by atomic rename over the old file.
    fresh = create_sqlite_store(sqlite_store.with_suffix(".new"), {1: (2, 700.0, 23, 1, 1)})
    os.replace(fresh, sqlite_store)

    assert client.get("/customers/1/features").json()["features"]["age"] == 23
    assert client.get("/customers/5008827/features").status_code == 404


def test_store_missing_at_start_up_then_appearing(make_client: Any, tmp_path: Path) -> None:
    path = tmp_path / "later.db"
    client = make_client(feature_store_url=f"sqlite:///{path}")
    assert client.get("/ready").status_code == 503
    assert client.post("/predict", json={"id": "1"}).status_code == 503

    create_sqlite_store(path)
    assert client.post("/predict", json={"id": "1"}).status_code == 200


def test_store_appearing_with_the_wrong_schema_is_503(make_client: Any, tmp_path: Path) -> None:
    path = tmp_path / "later.db"
    client = make_client(feature_store_url=f"sqlite:///{path}")
    assert client.get("/ready").status_code == 503  # unreachable at start-up: check deferred

    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customer_features (id BIGINT PRIMARY KEY, score DOUBLE)")
    conn.close()
    response = client.post("/predict", json={"id": "1"})
    assert response.status_code == 503
    assert response.json()["detail"] == "feature store schema does not match the model"
    assert client.get("/ready").json()["detail"] == "feature store schema does not match the model"


def _settings(bundle_dir: Path, store_url: str) -> Settings:
    return Settings(
        feature_store_url=store_url, model_bundle_dir=bundle_dir, customer_ref_key=CUSTOMER_REF_KEY
    )


def test_start_up_fails_when_store_lacks_a_model_column(
    trained_bundle: TrainedBundle, tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE customer_features (id BIGINT PRIMARY KEY, nb_previous_loans INTEGER,"
            " avg_amount_loans_previous DOUBLE, years_on_the_job INTEGER, flag_own_car INTEGER,"
            " as_of DATE, last_loan_date DATE, run_id TEXT)"
        )
    conn.close()
    with pytest.raises(StoreSchemaError, match="age"):
        build_resources(_settings(trained_bundle.directory, f"sqlite:///{path}"))


def test_start_up_fails_when_store_column_has_wrong_type(
    trained_bundle: TrainedBundle, tmp_path: Path
) -> None:
    path = tmp_path / "typed.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE customer_features (id BIGINT PRIMARY KEY, nb_previous_loans TEXT,"
            " avg_amount_loans_previous DOUBLE, age INTEGER, years_on_the_job INTEGER,"
            " flag_own_car INTEGER, as_of DATE, last_loan_date DATE, run_id TEXT)"
        )
    conn.close()
    with pytest.raises(StoreSchemaError, match="nb_previous_loans"):
        build_resources(_settings(trained_bundle.directory, f"sqlite:///{path}"))


def test_start_up_fails_when_bundle_feature_is_not_a_store_column(
    trained_bundle: TrainedBundle, sqlite_store: Path, tmp_path: Path
) -> None:
    features = [{"name": n, "dtype": d} for n, d in FEATURES]
    features[2] = {"name": "code_gender", "dtype": "int"}
    baselines = dict(trained_bundle.metadata["baseline_values"], code_gender=0.0)
    bundle_dir = tmp_path / "renamed"
    write_bundle(
        bundle_dir,
        trained_bundle.pipeline,
        _dummy_x(),
        features=features,
        baseline_values=baselines,
    )
    with pytest.raises(StoreSchemaError, match="code_gender"):
        build_resources(_settings(bundle_dir, f"sqlite:///{sqlite_store}"))


def _dummy_x() -> Any:
    import numpy as np

    return np.zeros((3, len(FEATURES)), dtype=np.float32)


def test_unsupported_store_urls_are_refused() -> None:
    with pytest.raises(StoreConfigError, match="unsupported"):
        build_engine("mysql://u:p@localhost/db")
    with pytest.raises(StoreConfigError, match="file path"):
        build_engine("sqlite://")
    with pytest.raises(StoreConfigError, match="PostgreSQL"):
        build_engine("sqlite:///x.db", auth="iam")
    with pytest.raises(StoreConfigError, match="must not carry a password"):
        build_engine("postgresql+psycopg2://inference:secret@proxy:5432/features", auth="iam")
    with pytest.raises(StoreConfigError, match="naming the role"):
        build_engine("postgresql+psycopg2:///features", auth="iam")


# --- corrupt rows -----------------------------------------------------------------------------

CORRUPT = {
    # id -> (column, stored value, what the service says)
    801: ("age", "forty", "age is not an integer"),
    802: ("years_on_the_job", 2.5, "years_on_the_job is not an integer"),
    803: ("avg_amount_loans_previous", "lots", "avg_amount_loans_previous is not a number"),
    804: ("as_of", "yesterday", "as_of is not a date"),
}


@pytest.fixture
def corrupt_store(tmp_path: Path) -> Path:
    path = create_sqlite_store(tmp_path / "corrupt.db")
    with sqlite3.connect(path) as conn:
        for cid, (column, value, _) in CORRUPT.items():
            conn.execute(
                "INSERT INTO customer_features VALUES (?, 1, 100.0, 30, 2, 0, ?, ?, ?)",
                (cid, AS_OF, "2024-06-01", "run-bad"),
            )
            conn.execute(f"UPDATE customer_features SET {column} = ? WHERE id = ?", (value, cid))
    conn.close()
    return path


def test_a_corrupt_row_fails_only_its_own_id(
    make_client: Any, corrupt_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from isvc_support import expected_customer_ref, prediction_lines

    client = make_client(feature_store_url=f"sqlite:///{corrupt_store}")
    capsys.readouterr()
    ids = [*CORRUPT, 1, 5008827]
    response = client.post("/predict/batch", json={"ids": [str(i) for i in ids]})
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["results"]] == ["1", "5008827"]
    assert body["invalid"] == [
        {"id": str(cid), "detail": f"stored feature row is invalid: {problem}"}
        for cid, (_, _, problem) in CORRUPT.items()
    ]
    captured = capsys.readouterr()
    assert len(prediction_lines(captured.out)) == 2
    # One error line per corrupt row, naming the customer by pseudonym only.
    errors = [
        json.loads(line)
        for line in captured.err.splitlines()
        if line.startswith("{") and "corrupt feature row" in line
    ]
    assert sorted(e["customer_ref"] for e in errors) == sorted(
        expected_customer_ref(cid) for cid in CORRUPT
    )
    assert {e["store_run_id"] for e in errors} == {"run-bad"}
    # The ids as tokens of their own: the digits also occur by chance inside timestamps,
    # latencies, request ids and pseudonyms, which leak nothing.
    logged = captured.err + captured.out
    assert not [cid for cid in CORRUPT if re.search(rf"(?<![\w.]){cid}(?![\w.])", logged)]

    single = client.post("/predict", json={"id": "801"})
    assert single.status_code == 500
    assert single.json()["detail"].startswith(
        "stored feature row is invalid: age is not an integer"
    )
    assert client.get("/customers/804/features").status_code == 500
    assert client.post("/predict", json={"id": "1"}).status_code == 200
