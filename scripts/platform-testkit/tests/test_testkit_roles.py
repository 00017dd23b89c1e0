"""Service roles as db-bootstrap made them: each role can do its job and nothing more."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg2
import psycopg2.errors
import pytest

from platform_testkit.postgres import to_libpq_url
from platform_testkit.roles import RoleUrls, ServiceDatabases

STORE_DDL = "CREATE TABLE {name} (id BIGINT PRIMARY KEY, age INTEGER, run_id TEXT NOT NULL)"


@contextmanager
def connected(url: str) -> Iterator[Any]:
    connection = psycopg2.connect(to_libpq_url(url))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def query(url: str, statement: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    with connected(url) as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def publish_store(url: str, run_id: str, rows: int) -> None:
    """The pipeline's swap, as feature_pipeline: new table, rename in one transaction, drop old."""
    connection = psycopg2.connect(to_libpq_url(url))
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(STORE_DDL.format(name="customer_features_new"))
            cursor.executemany(
                "INSERT INTO customer_features_new VALUES (%s, %s, %s)",
                [(i, 30 + i, run_id) for i in range(rows)],
            )
            cursor.execute("SELECT to_regclass('customer_features') IS NOT NULL")
            if cursor.fetchone()[0]:
                cursor.execute("ALTER TABLE customer_features RENAME TO customer_features_old")
            cursor.execute("ALTER TABLE customer_features_new RENAME TO customer_features")
            cursor.execute("DROP TABLE IF EXISTS customer_features_old")
    finally:
        connection.close()


def test_role_url_names_the_role_and_verifies_the_server(
    postgres_role_url: RoleUrls, postgres_ca_file: Any
) -> None:
    url = postgres_role_url("inference")
    parts = urlsplit(url)
    assert parts.scheme == "postgresql+psycopg2"
    assert parts.username == "inference"
    assert parts.password is None
    assert parse_qs(parts.query) == {
        "sslmode": ["verify-full"],
        "sslrootcert": [str(postgres_ca_file)],
    }
    [(user, ssl)] = query(
        url, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    )
    assert (user, ssl) == ("inference", True)


def test_readers_select_the_store_but_cannot_change_it(postgres_role_url: RoleUrls) -> None:
    publish_store(postgres_role_url("feature_pipeline"), "run-1", rows=3)

    for reader in ("inference", "monitoring"):
        url = postgres_role_url(reader)
        assert query(url, "SELECT count(*), min(run_id) FROM customer_features") == [(3, "run-1")]
        for statement in (
            "INSERT INTO customer_features VALUES (99, 1, 'x')",
            "UPDATE customer_features SET age = 0",
            "DELETE FROM customer_features",
            "DROP TABLE customer_features",
            STORE_DDL.format(name="shadow_store"),
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                query(url, statement)


def test_grants_survive_the_swap_done_as_feature_pipeline(postgres_role_url: RoleUrls) -> None:
    pipeline = postgres_role_url("feature_pipeline")
    publish_store(pipeline, "run-1", rows=2)
    publish_store(pipeline, "run-2", rows=5)

    [(owner,)] = query(
        postgres_role_url.admin_url("features"),
        "SELECT tableowner FROM pg_tables WHERE tablename = 'customer_features'",
    )
    assert owner == "feature_pipeline"
    for reader in ("inference", "monitoring"):
        rows = query(
            postgres_role_url(reader), "SELECT count(*), min(run_id) FROM customer_features"
        )
        assert rows == [(5, "run-2")]


def test_a_store_created_by_another_role_is_not_readable(postgres_role_url: RoleUrls) -> None:
    """Why the pipeline must create the table as feature_pipeline: default privileges are the
    owner's, so a table someone else creates is invisible to the readers."""
    admin = postgres_role_url.admin_url("features")
    query(admin, STORE_DDL.format(name="customer_features"))

    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query(postgres_role_url("inference"), "SELECT * FROM customer_features")


def test_roles_reach_only_their_own_database(postgres_role_url: RoleUrls) -> None:
    for role, database in (
        ("inference", "mlflow"),
        ("monitoring", "mlflow"),
        ("feature_pipeline", "mlflow"),
        ("mlflow", "features"),
    ):
        with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
            query(postgres_role_url(role, database=database), "SELECT 1")


def test_mlflow_owns_its_database(postgres_role_url: RoleUrls) -> None:
    url = postgres_role_url("mlflow")
    query(url, "CREATE TABLE experiments (id INTEGER PRIMARY KEY)")
    query(url, "INSERT INTO experiments VALUES (1)")
    [(owner, database_owner)] = query(
        url,
        "SELECT t.tableowner, pg_get_userbyid(d.datdba) FROM pg_tables t, pg_database d "
        "WHERE t.tablename = 'experiments' AND d.datname = current_database()",
    )
    assert (owner, database_owner) == ("mlflow", "mlflow")


def test_serving_role_has_short_timeouts(postgres_role_url: RoleUrls) -> None:
    url = postgres_role_url("inference")
    assert query(url, "SHOW statement_timeout") == [("2s",)]
    assert query(url, "SHOW idle_in_transaction_session_timeout") == [("10s",)]


def test_each_copy_is_a_separate_database(postgres_service_databases: ServiceDatabases) -> None:
    first, second = RoleUrls(postgres_service_databases), RoleUrls(postgres_service_databases)
    try:
        publish_store(first("feature_pipeline"), "run-1", rows=1)

        assert first.database_name("features") != second.database_name("features")
        [(exists,)] = query(
            second("inference"), "SELECT to_regclass('customer_features') IS NOT NULL"
        )
        assert exists is False
    finally:
        first.close()
        second.close()


def test_unknown_role_is_refused_before_connecting(postgres_role_url: RoleUrls) -> None:
    with pytest.raises(ValueError, match="unknown service role 'postgres'"):
        postgres_role_url("postgres")
