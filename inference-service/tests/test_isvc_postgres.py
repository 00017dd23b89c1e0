"""The store as production reaches it: PostgreSQL over TLS as the `inference` role (DESIGN C3).

The server (conftest `tls_postgres`) accepts TLS only and has the service roles and grants the
bootstrap creates. IAM tokens cannot be checked here (the server lets roles in over TLS without
a password, as RDS Proxy would after checking the token): what is tested is that a token is
minted per new connection for the right host, port, role and region, and sent as the password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from isvc_postgres import StoreServer
from isvc_support import AS_OF, FEATURES, KNOWN_CUSTOMERS, RUN_ID
from sqlalchemy import event

from inference_service.database import build_async_engine, build_engine
from inference_service.store import FeatureStore, StoreUnavailableError

DTYPES = dict(FEATURES)
ROWS = [(cid, *v, AS_OF, "2024-06-01", RUN_ID) for cid, v in KNOWN_CUSTOMERS.items()]


def _database(server: StoreServer, rows: list[tuple[Any, ...]] = ROWS) -> Iterator[str]:
    name = server.create_store(rows)
    try:
        yield name
    finally:
        server.drop(name)


@pytest.fixture(scope="module")
def features_db(tls_postgres: StoreServer) -> Iterator[str]:
    """A store database the tests of this module only read."""
    yield from _database(tls_postgres)


@pytest.fixture
def own_db(tls_postgres: StoreServer) -> Iterator[str]:
    """A store database for one test that disturbs it."""
    yield from _database(tls_postgres)


def _session_facts(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT current_user, s.ssl, current_setting('statement_timeout'),"
            " current_setting('application_name')"
            " FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()"
        ).one()
        dsn = conn.connection.dbapi_connection.get_dsn_parameters()  # type: ignore[union-attr]
    return {"user": row[0], "ssl": row[1], "timeout": row[2], "app": row[3], "dsn": dsn}


def test_predictions_over_tls_as_the_inference_role_match_sqlite(
    make_client: Any, tls_postgres: StoreServer, features_db: str
) -> None:
    pg = make_client(feature_store_url=tls_postgres.url("inference", features_db))
    lite = make_client()
    for cid in KNOWN_CUSTOMERS:
        a = pg.post("/predict", json={"id": cid})
        b = lite.post("/predict", json={"id": cid})
        assert a.status_code == b.status_code == 200
        assert a.json() == b.json()
    batch = pg.post("/predict/batch", json={"ids": [*KNOWN_CUSTOMERS, 42]}).json()
    assert len(batch["results"]) == len(KNOWN_CUSTOMERS)
    assert batch["not_found"] == ["42"]
    assert pg.get("/ready").status_code == 200


def test_session_is_tls_read_only_lambda_sized_and_sends_no_startup_options(
    tls_postgres: StoreServer, features_db: str
) -> None:
    engine = build_engine(tls_postgres.url("inference", features_db), pool_size=1)
    try:
        facts = _session_facts(engine)
        assert facts["user"] == "inference"
        assert facts["ssl"] is True
        assert facts["dsn"]["sslmode"] == "verify-full"
        # RDS Proxy refuses startup options: the timeout is the role's, set by the bootstrap.
        assert not facts["dsn"].get("options")
        assert facts["timeout"] == "2s"
        assert facts["app"] == "inference-service"
        assert engine.pool.size() == 1  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]
        with engine.connect() as conn, pytest.raises(Exception, match="permission denied"):
            conn.exec_driver_sql("DELETE FROM customer_features")
    finally:
        engine.dispose()


def test_iam_mode_mints_a_token_per_new_connection(
    tls_postgres: StoreServer, features_db: str
) -> None:
    url = tls_postgres.url("inference", features_db, sslmode="disable")  # iam forces TLS
    engine = build_engine(url, auth="iam", pool_size=3)
    passwords: list[str] = []

    @event.listens_for(engine, "do_connect")
    def capture(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        passwords.append(cparams["password"])  # runs after the service's own hook

    try:
        first, second = engine.connect(), engine.connect()  # two new connections
        facts = _session_facts(engine)
        first.close()
        second.close()
    finally:
        engine.dispose()
    assert facts["user"] == "inference"
    assert facts["ssl"] is True
    assert facts["dsn"]["sslmode"] == "verify-full"
    assert len(passwords) == 3  # two held at once, one more for the facts

    # The token is a SigV4-presigned "connect" URL for exactly this endpoint and role.
    token = urlsplit("https://" + passwords[0])
    assert (token.hostname, token.port) == (tls_postgres.host, tls_postgres.port)
    query = {k: v[0] for k, v in parse_qs(token.query).items()}
    assert query["Action"] == "connect"
    assert query["DBUser"] == "inference"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    key_id, _date, region, service, terminator = unquote(query["X-Amz-Credential"]).split("/")
    assert (key_id, region, service, terminator) == (
        "testing",
        "us-east-1",
        "rds-db",
        "aws4_request",
    )
    assert int(query["X-Amz-Expires"]) == 900
    assert len(query["X-Amz-Signature"]) == 64


def test_server_connections_mint_a_token_each_verify_tls_and_prepare_nothing(
    tls_postgres: StoreServer, features_db: str
) -> None:
    """The asyncio engine of a uvicorn server: same token hook and TLS as Lambda's, and no
    server-side prepared statement (RDS Proxy would pin the session to one connection)."""
    url = tls_postgres.url("inference", features_db, sslmode="disable")  # iam forces TLS
    engine = build_async_engine(url, auth="iam", pool_size=2)
    store = FeatureStore(build_engine(url, auth="iam"), DTYPES, engine)
    passwords: list[str] = []

    @event.listens_for(engine.sync_engine, "do_connect")
    def capture(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        passwords.append(cparams["password"])  # runs after the service's own hook

    async def scenario() -> tuple[Any, ...]:
        try:
            # Two queries in flight at once (a batch and a lookup: concurrent lookups would
            # share one) need two connections; then many on one of them (psycopg 3 would
            # prepare a statement on its fifth execution by default).
            batch, one = await asyncio.gather(store.get_many([5008827, 5008832]), store.get(1))
            assert (sorted(batch.rows), one and one.customer_id) == ([5008827, 5008832], 1)
            for _ in range(12):
                await store.get(1)
            await store.get_many([1, 5008827])
            async with engine.connect() as conn:
                return (
                    await conn.exec_driver_sql(
                        "SELECT current_user, s.ssl, current_setting('application_name'),"
                        " (SELECT count(*) FROM pg_prepared_statements)"
                        " FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()"
                    )
                ).one()
        finally:
            await store.aclose()

    user, ssl, application, prepared = asyncio.run(scenario())
    assert (user, ssl, application) == ("inference", True, "inference-service")
    assert prepared == 0
    assert len(passwords) == 2
    assert all("Action=connect" in p and "DBUser=inference" in p for p in passwords)


def _store(url: str, *, concurrent: bool, auth: str = "password") -> FeatureStore:
    """A store as Lambda (inline psycopg2) or a uvicorn server (asyncio psycopg 3) builds it."""
    async_engine = (
        build_async_engine(url, auth=auth, pool_size=2)  # type: ignore[arg-type]
        if concurrent
        else None
    )
    return FeatureStore(build_engine(url, auth=auth), DTYPES, async_engine)  # type: ignore[arg-type]


async def _get_then_close(store: FeatureStore, customer_id: int) -> Any:
    try:
        return await store.get(customer_id)
    finally:
        await store.aclose()


BOTH_PATHS = pytest.mark.parametrize("concurrent", [False, True], ids=["lambda", "server"])


@BOTH_PATHS
def test_iam_mode_verifies_the_server_against_certifi_by_default(
    tls_postgres: StoreServer, features_db: str, concurrent: bool
) -> None:
    # Without sslrootcert in the URL the CA bundle is certifi's, which does not hold the test
    # CA: the server's certificate is refused, as an impostor's would be.
    url = f"postgresql+psycopg2://inference@{tls_postgres.host}:{tls_postgres.port}/{features_db}"
    store = _store(url, concurrent=concurrent, auth="iam")
    store.schema_verified = True  # go straight to the lookup's own connection
    with pytest.raises(StoreUnavailableError):
        asyncio.run(_get_then_close(store, 1))


@BOTH_PATHS
def test_plain_tcp_and_the_wrong_role_are_refused(
    tls_postgres: StoreServer, features_db: str, concurrent: bool
) -> None:
    no_tls = _store(
        tls_postgres.url("inference", features_db, sslmode="disable"), concurrent=concurrent
    )
    no_tls.schema_verified = True
    with pytest.raises(StoreUnavailableError):
        asyncio.run(_get_then_close(no_tls, 1))
    # A role of another service has no CONNECT privilege on the store's database.
    wrong = _store(tls_postgres.url("mlflow", features_db), concurrent=concurrent)
    with pytest.raises(StoreUnavailableError):
        wrong.verify_schema()
    wrong.schema_verified = True
    with pytest.raises(StoreUnavailableError):
        asyncio.run(_get_then_close(wrong, 1))
    engine = build_engine(tls_postgres.url("mlflow", features_db))
    with pytest.raises(Exception, match="permission denied for database"):
        engine.connect()
    engine.dispose()


@BOTH_PATHS
def test_ids_are_bound_parameters(
    tls_postgres: StoreServer, features_db: str, concurrent: bool
) -> None:
    store = _store(tls_postgres.url("inference", features_db), concurrent=concurrent)

    async def scenario() -> Any:
        try:
            # Way past what a hand-built IN list would tolerate; all bound, all found.
            ids = [*KNOWN_CUSTOMERS] * 50 + list(range(10_000, 10_500))
            return await store.get_many(ids)
        finally:
            await store.aclose()

    assert sorted(asyncio.run(scenario()).rows) == sorted(KNOWN_CUSTOMERS)


def test_a_dead_pooled_connection_is_replaced_without_an_error(
    make_client: Any, tls_postgres: StoreServer, own_db: str
) -> None:
    client = make_client(feature_store_url=tls_postgres.url("inference", own_db))
    assert client.post("/predict", json={"id": "5008827"}).status_code == 200
    # What a frozen Lambda finds after the proxy closed its idle connection.
    tls_postgres.terminate_backends(own_db)
    assert client.post("/predict", json={"id": "5008827"}).status_code == 200


def test_outage_answers_503_then_recovers(
    make_client: Any, tls_postgres: StoreServer, own_db: str
) -> None:
    client = make_client(
        feature_store_url=tls_postgres.url("inference", own_db), store_connect_timeout_seconds=2
    )
    assert client.post("/predict", json={"id": "5008827"}).status_code == 200
    tls_postgres.allow_connections(own_db, allowed=False)
    tls_postgres.terminate_backends(own_db)
    try:
        for _ in range(2):
            down = client.post("/predict", json={"id": "5008827"})
            assert down.status_code == 503, down.text
            assert "psycopg2" not in down.text
        assert client.get("/ready").status_code == 503
    finally:
        tls_postgres.allow_connections(own_db, allowed=True)
    assert client.post("/predict", json={"id": "5008827"}).status_code == 200
    assert client.get("/ready").status_code == 200


def test_a_non_finite_stored_value_affects_only_its_id(
    make_client: Any, tls_postgres: StoreServer
) -> None:
    rows = [*ROWS, (77, 1, float("inf"), 30, 2, 0, AS_OF, "2024-06-01", RUN_ID)]
    for name in _database(tls_postgres, rows):
        client = make_client(feature_store_url=tls_postgres.url("inference", name))
        body = client.post("/predict/batch", json={"ids": ["77", "1"]}).json()
        assert [r["id"] for r in body["results"]] == ["1"]
        assert body["invalid"] == [
            {
                "id": "77",
                "detail": "stored feature row is invalid: "
                "avg_amount_loans_previous is not a finite number",
            }
        ]


def test_unreachable_postgres_is_store_unavailable() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = FeatureStore(
        build_engine(f"postgresql+psycopg2://u@127.0.0.1:{port}/db", connect_timeout=1), DTYPES
    )
    with pytest.raises(StoreUnavailableError):
        asyncio.run(_get_then_close(store, 1))
