"""A server answering requests concurrently on PostgreSQL (the container case).

Lookups run on asyncio connections: while one waits for the database the event loop serves other
requests, and the pool gives each connection to one lookup at a time. To make lookups wait in
the database for as long as a test needs, the administrator holds an ACCESS EXCLUSIVE lock on
the store table (every SELECT of it queues behind the lock), then releases it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg2
import pytest
from isvc_postgres import StoreServer
from isvc_support import AS_OF, CUSTOMER_REF_KEY, KNOWN_CUSTOMERS, RUN_ID, TrainedBundle
from sqlalchemy import event

from inference_service.config import Settings
from inference_service.main import create_app, load_resources
from platform_testkit.postgres import to_libpq_url

ROWS = [(cid, *v, AS_OF, "2024-06-01", RUN_ID) for cid, v in KNOWN_CUSTOMERS.items()]
POOL_SIZE = 2


@pytest.fixture(scope="module")
def store_db(tls_postgres: StoreServer) -> Iterator[str]:
    name = tls_postgres.create_store(ROWS)
    yield name
    tls_postgres.drop(name)


class TableLock:
    """The administrator's ACCESS EXCLUSIVE lock on the store table, held until `release`."""

    def __init__(self, server: StoreServer, database: str) -> None:
        endpoint = server.databases.endpoint
        admin_url = endpoint.url(endpoint.admin_user, database, endpoint.admin_password)
        self._connection = psycopg2.connect(to_libpq_url(admin_url))
        with self._connection.cursor() as cursor:
            cursor.execute("LOCK TABLE customer_features IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        if not self._connection.closed:
            self._connection.commit()
            self._connection.close()


def _app(trained_bundle: TrainedBundle, url: str) -> Any:
    app = create_app(
        Settings(
            feature_store_url=url,
            model_bundle_dir=trained_bundle.directory,
            customer_ref_key=CUSTOMER_REF_KEY,
            store_pool_size=POOL_SIZE,
            metrics_flush_interval_seconds=300.0,
        )
    )
    load_resources(app, concurrent=True)  # what the uvicorn lifespan does
    return app


def test_a_slow_lookup_does_not_hold_up_unrelated_requests(
    trained_bundle: TrainedBundle, tls_postgres: StoreServer, store_db: str
) -> None:
    app = _app(trained_bundle, tls_postgres.url("inference", store_db))

    async def scenario() -> tuple[int, list[float], bool]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.post("/predict", json={"id": "1"})).status_code == 200
            lock = TableLock(tls_postgres, store_db)
            try:
                stuck = asyncio.create_task(client.post("/predict", json={"id": "5008827"}))
                await asyncio.sleep(0.2)  # the lookup is now waiting on the lock
                waits = []
                for path in ("/health", "/version", "/health"):
                    started = time.perf_counter()
                    assert (await client.get(path)).status_code == 200
                    waits.append(time.perf_counter() - started)
                still_waiting = not stuck.done()
            finally:
                lock.release()
            status = (await stuck).status_code
        await app.state.resources.aclose()
        return status, waits, still_waiting

    status, waits, still_waiting = asyncio.run(scenario())
    # The lookup was still held by the lock while the other requests were answered ...
    assert still_waiting
    assert max(waits) < 0.5, waits
    # ... and it completes once the lock goes (well within the role's 2 s statement_timeout).
    assert status == 200


def test_the_pool_never_hands_one_connection_to_two_lookups(
    trained_bundle: TrainedBundle, tls_postgres: StoreServer, store_db: str
) -> None:
    app = _app(trained_bundle, tls_postgres.url("inference", store_db))
    store = app.state.resources.store
    pool_engine = store._rows._engine.sync_engine  # the asyncio engine's pool (sync facade)
    in_use: set[int] = set()
    shared: list[int] = []
    peak = 0

    @event.listens_for(pool_engine, "checkout")
    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        nonlocal peak
        key = id(dbapi_connection)
        if key in in_use:
            shared.append(key)
        in_use.add(key)
        peak = max(peak, len(in_use))

    @event.listens_for(pool_engine, "checkin")
    def checkin(dbapi_connection: Any, record: Any) -> None:
        in_use.discard(id(dbapi_connection))

    ids = list(KNOWN_CUSTOMERS) * 5  # 40 lookups for 8 customers, all in flight at once

    async def scenario() -> list[Any]:
        lock = TableLock(tls_postgres, store_db)
        try:
            lookups = [asyncio.create_task(store.get(cid)) for cid in ids]
            await asyncio.sleep(0.3)  # every pooled connection is now waiting on the lock
            assert not any(task.done() for task in lookups)
        finally:
            lock.release()
        rows = await asyncio.gather(*lookups)
        await store.aclose()
        return rows

    rows = asyncio.run(scenario())
    assert shared == []
    assert peak == POOL_SIZE  # lookups did run side by side, never more than the pool holds
    # Each lookup got its own customer's row (no answer crossed over to another request).
    assert [row.customer_id for row in rows] == ids
    assert [tuple(row.features.values()) for row in rows] == [KNOWN_CUSTOMERS[i] for i in ids]
