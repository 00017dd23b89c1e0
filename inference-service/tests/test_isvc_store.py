"""Feature store on SQLite and real PostgreSQL: reads, schema checks, outages and recovery."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from isvc_support import (
    AS_OF,
    FEATURE_NAMES,
    FEATURES,
    KNOWN_CUSTOMERS,
    RUN_ID,
    TrainedBundle,
    create_sqlite_store,
    write_bundle,
)

from inference_service.config import Settings
from inference_service.resources import build_resources
from inference_service.store import (
    FeatureStore,
    StoreSchemaError,
    StoreUnavailableError,
    build_engine,
    resolve_store_url,
)

DTYPES = dict(FEATURES)

POSTGRES_DDL = """
CREATE TABLE customer_features (
    id BIGINT PRIMARY KEY,
    nb_previous_loans INTEGER NOT NULL,
    avg_amount_loans_previous DOUBLE PRECISION,
    age INTEGER,
    years_on_the_job INTEGER,
    flag_own_car INTEGER NOT NULL,
    as_of DATE NOT NULL,
    last_loan_date DATE NOT NULL,
    run_id TEXT NOT NULL
)
"""


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


@pytest.fixture
def pg_store_url(postgres_db_url: str) -> str:
    import psycopg2

    conn = psycopg2.connect(_libpq(postgres_db_url))
    with conn, conn.cursor() as cur:
        cur.execute(POSTGRES_DDL)
        cur.executemany(
            "INSERT INTO customer_features VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(cid, *v, AS_OF, "2024-06-01", RUN_ID) for cid, v in KNOWN_CUSTOMERS.items()],
        )
    conn.close()
    return postgres_db_url


# --- SQLite -----------------------------------------------------------------------------------


def test_sqlite_reads_rows_and_nulls(sqlite_store: Path) -> None:
    store = FeatureStore(build_engine(f"sqlite:///{sqlite_store}"), DTYPES)
    store.verify_schema()
    row = store.get(5008832)
    assert row is not None
    assert row.features == dict(zip(FEATURE_NAMES, KNOWN_CUSTOMERS[5008832], strict=True))
    assert row.as_of.isoformat() == AS_OF
    assert store.get(123) is None
    many = store.get_many([1, 5009000, 1, 404])
    assert sorted(many) == [1, 5009000]


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
    return Settings(feature_store_url=store_url, model_bundle_dir=bundle_dir)


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
    with pytest.raises(ValueError, match="unsupported"):
        build_engine("mysql://u:p@localhost/db")
    with pytest.raises(ValueError, match="file path"):
        build_engine("sqlite://")


# --- PostgreSQL -------------------------------------------------------------------------------


def test_postgres_predictions_match_sqlite(
    make_client: Any, pg_store_url: str, trained_bundle: TrainedBundle
) -> None:
    pg = make_client(feature_store_url=pg_store_url)
    lite = make_client()
    for cid in KNOWN_CUSTOMERS:
        a = pg.post("/predict", json={"id": cid})
        b = lite.post("/predict", json={"id": cid})
        assert a.status_code == b.status_code == 200
        assert a.json() == b.json()
    batch = pg.post("/predict/batch", json={"ids": [*KNOWN_CUSTOMERS, 42]}).json()
    assert len(batch["results"]) == len(KNOWN_CUSTOMERS)
    assert batch["not_found"] == ["42"]


def test_postgres_pool_is_lambda_sized_with_timeouts(pg_store_url: str) -> None:
    engine = build_engine(pg_store_url, pool_size=1, statement_timeout_ms=1500)
    try:
        with engine.connect() as conn:
            timeout = conn.exec_driver_sql("SHOW statement_timeout").scalar()
            app_name = conn.exec_driver_sql("SHOW application_name").scalar()
        assert timeout == "1500ms"
        assert app_name == "inference-service"
        assert engine.pool.size() == 1  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]
        assert engine.pool._pre_ping is True
    finally:
        engine.dispose()


@pytest.fixture
def admin(postgres_url: str) -> Iterator[Any]:
    import psycopg2

    conn = psycopg2.connect(_libpq(postgres_url))
    conn.autocommit = True
    yield conn
    conn.close()


def _set_connections_allowed(admin: Any, database: str, allowed: bool) -> None:
    from psycopg2 import sql

    with admin.cursor() as cur:
        cur.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(database), sql.SQL("true" if allowed else "false")
            )
        )
        if not allowed:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )


def test_postgres_going_away_and_coming_back(
    make_client: Any, pg_store_url: str, admin: Any
) -> None:
    from sqlalchemy.engine import make_url

    database = make_url(pg_store_url).database  # the URL also carries TLS parameters
    client = make_client(feature_store_url=pg_store_url, store_connect_timeout_seconds=2)
    assert client.post("/predict", json={"id": "5008827"}).status_code == 200

    _set_connections_allowed(admin, database, allowed=False)
    try:
        # The pooled connection was killed and new ones are refused: 503, not 500.
        for _ in range(2):
            down = client.post("/predict", json={"id": "5008827"})
            assert down.status_code == 503, down.text
            assert "psycopg2" not in down.text
        assert client.get("/ready").status_code == 503
    finally:
        _set_connections_allowed(admin, database, allowed=True)

    back = client.post("/predict", json={"id": "5008827"})
    assert back.status_code == 200
    assert client.get("/ready").status_code == 200


def test_postgres_ids_are_bound_parameters(pg_store_url: str) -> None:
    store = FeatureStore(build_engine(pg_store_url), DTYPES)
    try:
        # Way past what a hand-built IN list would tolerate; all bound, all found.
        ids = [*KNOWN_CUSTOMERS] * 50 + list(range(10_000, 10_500))
        assert sorted(store.get_many(ids)) == sorted(KNOWN_CUSTOMERS)
    finally:
        store.close()


def test_unreachable_postgres_is_store_unavailable() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = FeatureStore(
        build_engine(f"postgresql+psycopg2://u:p@127.0.0.1:{port}/db", connect_timeout=1),
        DTYPES,
    )
    with pytest.raises(StoreUnavailableError):
        store.get(1)


# --- Secrets Manager --------------------------------------------------------------------------


def test_credentials_from_secrets_manager(aws_reset: str) -> None:
    import boto3

    client = boto3.client("secretsmanager")
    arn = client.create_secret(
        Name="feature-store/reader",
        SecretString=json.dumps(
            {"username": "reader", "password": "p@ss:/word", "host": "db.internal", "port": 6432}
        ),
    )["ARN"]
    url = resolve_store_url("postgresql+psycopg2://placeholder@localhost/features", arn)
    assert url.username == "reader"
    assert url.password == "p@ss:/word"
    assert url.host == "db.internal"
    assert url.port == 6432
    assert url.database == "features"

    bad = client.create_secret(Name="broken", SecretString=json.dumps(["no"]))["ARN"]
    with pytest.raises(ValueError, match="password"):
        resolve_store_url("postgresql+psycopg2://x@localhost/f", bad)


def test_no_secret_means_url_as_given() -> None:
    url = resolve_store_url("postgresql+psycopg2://a:b@h:5/d", None)
    assert (url.username, url.password, url.host, url.port, url.database) == ("a", "b", "h", 5, "d")
