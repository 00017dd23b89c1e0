"""The PostgreSQL fixtures give a real, isolated server; absence skips, or fails under CI."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import psycopg2
import pytest
from testkit_inner_run import run_inner_pytest

from platform_testkit import plugin
from platform_testkit.postgres import (
    Endpoint,
    PostgresUnavailableError,
    to_libpq_url,
    to_sqlalchemy_url,
)
from platform_testkit.postgres_server import find_bindir
from platform_testkit.tls import write_server_certificate


def _query(url: str, statement: str) -> list[tuple[object, ...]]:
    connection = psycopg2.connect(to_libpq_url(url))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def test_postgres_url_is_a_sqlalchemy_psycopg2_url_of_a_live_server(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg2://")
    [(answer,)] = _query(postgres_url, "SELECT 6 * 7")
    assert answer == 42


@pytest.fixture
def local_server(postgres_endpoint: Endpoint) -> Endpoint:
    if "TEST_DATABASE_URL" in os.environ:
        pytest.skip("TLS set-up of the kit's own server; TEST_DATABASE_URL points elsewhere")
    return postgres_endpoint


def _connect_kwargs(endpoint: Endpoint, **overrides: object) -> dict[str, object]:
    return {
        "host": endpoint.host,
        "port": endpoint.port,
        "user": "postgres",
        "dbname": "postgres",
        "connect_timeout": 5,
        **overrides,
    }


def test_connections_without_tls_are_refused(local_server: Endpoint) -> None:
    with pytest.raises(psycopg2.OperationalError, match="no encryption"):
        psycopg2.connect(**_connect_kwargs(local_server, sslmode="disable"))


def test_server_is_verified_against_the_session_ca_under_both_names(
    local_server: Endpoint, postgres_ca_file: Path
) -> None:
    for host in ("127.0.0.1", "localhost"):
        connection = psycopg2.connect(
            **_connect_kwargs(
                local_server, host=host, sslmode="verify-full", sslrootcert=str(postgres_ca_file)
            )
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                ssl, version = cursor.fetchone()
        finally:
            connection.close()
        assert ssl is True
        assert version in {"TLSv1.2", "TLSv1.3"}


def test_a_client_trusting_another_ca_refuses_the_server(
    local_server: Endpoint, tmp_path: Path
) -> None:
    other_ca = write_server_certificate(tmp_path).ca_file
    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"):
        psycopg2.connect(
            **_connect_kwargs(local_server, sslmode="verify-full", sslrootcert=str(other_ca))
        )


@pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop only happens under root")
@pytest.mark.skipif("TEST_DATABASE_URL" in os.environ, reason="external server")
def test_server_runs_unprivileged_when_tests_run_as_root(postgres_url: str) -> None:
    # The postmaster lives as long as the session; a backend process ends with its connection,
    # so inspecting one after the query returned was a race.
    [(data_directory,)] = _query(postgres_url, "SHOW data_directory")
    postmaster_pid = int((Path(str(data_directory)) / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(postmaster_pid)
    assert postmaster.uids().real != 0
    assert postmaster.uids().effective != 0


def test_new_databases_are_empty_and_isolated_from_each_other(
    postgres_db_url: str, postgres_url: str
) -> None:
    # A second database in the same test, obtained the way the fixture does it.
    from platform_testkit.postgres import (
        create_database,
        drop_database,
        unique_database_name,
        with_database,
    )

    other_name = unique_database_name()
    create_database(postgres_url, other_name)
    other_url = with_database(postgres_url, other_name)
    try:
        for url in (postgres_db_url, other_url):
            tables = _query(
                url,
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
            )
            assert tables == []
        _query(postgres_db_url, "CREATE TABLE t (id int)")
        _query(postgres_db_url, "INSERT INTO t VALUES (1), (2)")

        [(rows,)] = _query(postgres_db_url, "SELECT count(*) FROM t")
        [(visible_elsewhere,)] = _query(other_url, "SELECT to_regclass('public.t') IS NOT NULL")
        assert rows == 2
        assert visible_elsewhere is False
    finally:
        drop_database(postgres_url, other_name)
    [(still_there,)] = _query(
        postgres_url, f"SELECT count(*) FROM pg_database WHERE datname = '{other_name}'"
    )
    assert still_there == 0


def test_url_normalisation_accepts_common_spellings() -> None:
    for given in ("postgres://u@h:1/d", "postgresql://u@h:1/d", "postgresql+asyncpg://u@h:1/d"):
        assert to_sqlalchemy_url(given) == "postgresql+psycopg2://u@h:1/d"
    assert to_libpq_url("postgresql+psycopg2://u:p@h:1/d?x=1") == "postgresql://u:p@h:1/d?x=1"
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        to_sqlalchemy_url("mysql://u@h/d")


def test_missing_binaries_are_reported_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESTKIT_PG_BINDIR", "/nonexistent/postgres/bin")
    with pytest.raises(PostgresUnavailableError, match="TESTKIT_PG_BINDIR"):
        find_bindir()


def test_unavailable_postgres_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL unavailable: no binaries"):
        plugin._postgres_unavailable("no binaries")


def test_missing_binaries_fail_the_fixture_under_ci(tmp_path: Path) -> None:
    """End to end through a fresh session: CI=true must turn the skip into an error."""
    run = run_inner_pytest(
        tmp_path,
        """
        def test_needs_db(postgres_url):
            raise AssertionError("must not run without a server")
        """,
        env={
            "TESTKIT_PG_BINDIR": str(tmp_path / "no-such-dir"),
            "CI": "true",
            "TEST_DATABASE_URL": None,
        },
    )
    assert run.returncode != 0
    assert run.outcomes == {"error": 1}, run.output
    assert "PostgreSQL is required when CI=true" in run.output


def test_test_database_url_is_used_instead_of_starting_a_server(
    tmp_path: Path, postgres_url: str
) -> None:
    external = to_libpq_url(postgres_url)  # plain postgresql:// as a CI service would give
    run = run_inner_pytest(
        tmp_path,
        f"""
        from urllib.parse import urlsplit

        def test_uses_it(postgres_url, postgres_db_url):
            assert postgres_url == {to_sqlalchemy_url(external)!r}
            server, database = urlsplit(postgres_url), urlsplit(postgres_db_url)
            assert (database.netloc, database.query) == (server.netloc, server.query)
            assert database.path.startswith("/test_")
        """,
        # A bogus binary dir proves no local server is attempted.
        env={"TEST_DATABASE_URL": external, "TESTKIT_PG_BINDIR": str(tmp_path / "none")},
    )
    assert run.outcomes == {"passed": 1}, run.output
