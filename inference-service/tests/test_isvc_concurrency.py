"""A server answering requests concurrently on PostgreSQL (the container case).

Lookups run on asyncio connections: while one waits for the database the event loop serves other
requests, and the pool gives each connection to one query at a time. Single-customer lookups
that arrive together, or while the pool's connections are all busy, share one query.

To make queries wait in the database for as long as a test needs, the administrator holds an
ACCESS EXCLUSIVE lock on the store table (every SELECT of it queues behind the lock), then
releases it. Tests wait for states they can observe (a query blocked on the lock in
pg_stat_activity, lookups queued in the batcher), never for a fixed time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
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


UNKNOWN = 42  # no such customer in the store


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


class Activity:
    """The administrator's view of the store database's sessions (autocommit: every query
    sees the current state, not a snapshot taken at the start of a transaction)."""

    def __init__(self, server: StoreServer, database: str) -> None:
        endpoint = server.databases.endpoint
        admin_url = endpoint.url(endpoint.admin_user, database, endpoint.admin_password)
        self._connection = psycopg2.connect(to_libpq_url(admin_url))
        self._connection.autocommit = True
        self._database = database

    def queries_blocked_on_the_lock(self) -> int:
        return self._count_sessions_of_the_service(" AND wait_event_type = 'Lock'")

    def sessions_of_the_service(self) -> int:
        return self._count_sessions_of_the_service("")

    def _count_sessions_of_the_service(self, condition: str) -> int:
        with self._connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = %s AND usename = 'inference'" + condition,
                (self._database,),
            )
            return int(cursor.fetchone()[0])

    def close(self) -> None:
        self._connection.close()


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Let the event loop run until `condition` holds (a state, polled; not a guessed delay)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.005)


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


def _batcher(app: Any) -> Any:
    return app.state.resources.store._rows._batcher


def _queries_sent(app: Any) -> int:
    return int(app.state.resources.store._rows.queries_sent)


async def _launch_in_flight(
    activity: Activity, lookups: list[Coroutine[Any, Any, Any]], blocked: int
) -> list[asyncio.Task[Any]]:
    """Start `lookups`, which a free connection takes as one query; return once `blocked`
    queries wait on the table lock."""
    tasks = [asyncio.create_task(lookup) for lookup in lookups]
    await wait_for(
        lambda: activity.queries_blocked_on_the_lock() == blocked,
        f"{blocked} queries wait on the lock",
    )
    return tasks


async def _launch_queued(
    app: Any, lookups: list[Coroutine[Any, Any, Any]]
) -> list[asyncio.Task[Any]]:
    """Start `lookups` while every connection is busy; return once all are queued."""
    tasks = [asyncio.create_task(lookup) for lookup in lookups]
    queue = _batcher(app)._queue
    await wait_for(lambda: len(queue) == len(lookups), f"{len(lookups)} lookups are queued")
    return tasks


def _expected(customer_id: int) -> tuple[Any, ...]:
    return KNOWN_CUSTOMERS[customer_id]


def assert_each_lookup_got_its_own_row(ids: list[int], rows: list[Any]) -> None:
    """Lookup i answered customer ids[i] with that customer's stored features (duplicated ids
    included); the unknown id got no row."""
    assert [row.customer_id if row else None for row in rows] == [
        None if cid == UNKNOWN else cid for cid in ids
    ]
    assert [tuple(row.features.values()) for row in rows if row] == [
        _expected(cid) for cid in ids if cid != UNKNOWN
    ]


def test_lookups_arriving_together_share_one_query(
    trained_bundle: TrainedBundle, tls_postgres: StoreServer, store_db: str
) -> None:
    app = _app(trained_bundle, tls_postgres.url("inference", store_db))
    store = app.state.resources.store
    ids = [*KNOWN_CUSTOMERS, UNKNOWN, *KNOWN_CUSTOMERS, UNKNOWN]  # every id twice

    async def scenario() -> list[Any]:
        try:
            return await asyncio.gather(*(store.get(cid) for cid in ids))
        finally:
            await store.aclose()

    rows = asyncio.run(scenario())
    assert _queries_sent(app) == 1
    # Each lookup got its own customer's row, duplicates included; the unknown id none.
    assert_each_lookup_got_its_own_row(ids, rows)


def test_lookups_arriving_while_the_pool_is_busy_share_the_next_free_connection(
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

    first, second = [1, 5008827], [5008832, 1]
    queued = [*KNOWN_CUSTOMERS] * 4 + [UNKNOWN]  # 21 lookups while both connections are busy
    activity = Activity(tls_postgres, store_db)

    async def scenario() -> list[Any]:
        lock = TableLock(tls_postgres, store_db)
        try:
            tasks = await _launch_in_flight(activity, [store.get(c) for c in first], blocked=1)
            tasks += await _launch_in_flight(activity, [store.get(c) for c in second], blocked=2)
            tasks += await _launch_queued(app, [store.get(c) for c in queued])
            assert not any(task.done() for task in tasks)
        finally:
            lock.release()
        rows = await asyncio.gather(*tasks)
        await store.aclose()
        return rows

    try:
        rows = asyncio.run(scenario())
    finally:
        activity.close()
    ids = [*first, *second, *queued]
    # One query per connection, then the first connection free took all 21 queued lookups.
    assert _queries_sent(app) == 3
    assert shared == []
    assert peak == POOL_SIZE
    assert_each_lookup_got_its_own_row(ids, rows)


def test_a_cancelled_lookup_leaves_the_others_their_rows(
    trained_bundle: TrainedBundle, tls_postgres: StoreServer, store_db: str
) -> None:
    app = _app(trained_bundle, tls_postgres.url("inference", store_db))
    store = app.state.resources.store
    activity = Activity(tls_postgres, store_db)

    async def scenario() -> list[Any]:
        lock = TableLock(tls_postgres, store_db)
        try:
            in_query = await _launch_in_flight(
                activity, [store.get(c) for c in (1, 5008827, 5008832)], blocked=1
            )
            in_second = await _launch_in_flight(activity, [store.get(5008900)], blocked=2)
            queued = await _launch_queued(app, [store.get(c) for c in (5009000, 1, 5008827)])
            in_query[1].cancel()  # its query is waiting in the database
            queued[0].cancel()  # still queued: no query will carry it
        finally:
            lock.release()
        outcomes = await asyncio.gather(*in_query, *in_second, *queued, return_exceptions=True)
        await store.aclose()
        return outcomes

    try:
        outcomes = asyncio.run(scenario())
    finally:
        activity.close()
    cancelled = [isinstance(o, asyncio.CancelledError) for o in outcomes]
    assert cancelled == [False, True, False, False, True, False, False]
    assert [o.customer_id for o in outcomes if not isinstance(o, BaseException)] == [
        1,
        5008832,
        5008900,
        1,
        5008827,
    ]
    assert _queries_sent(app) == 3


def _post_all(
    app: Any, ids: list[int], during: Callable[[list[asyncio.Task[Any]]], Awaitable[None]]
) -> list[httpx.Response]:
    """POST /predict for every id concurrently; `during` runs once all requests started."""

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            tasks = [
                asyncio.create_task(client.post("/predict", json={"id": str(cid)})) for cid in ids
            ]
            await during(tasks)
            responses = await asyncio.gather(*tasks)
        await app.state.resources.aclose()
        return responses

    return asyncio.run(scenario())


def test_concurrent_requests_get_their_own_answers_and_404_for_unknown_customers(
    trained_bundle: TrainedBundle, tls_postgres: StoreServer, store_db: str
) -> None:
    app = _app(trained_bundle, tls_postgres.url("inference", store_db))
    ids = [*KNOWN_CUSTOMERS, UNKNOWN, 5008827, UNKNOWN, 1]
    activity = Activity(tls_postgres, store_db)

    async def hold_until_all_wait(tasks: list[asyncio.Task[Any]]) -> None:
        lock = TableLock(tls_postgres, store_db)
        try:
            await wait_for(
                lambda: (
                    _batcher(app).lookups_waiting == len(ids)
                    and activity.queries_blocked_on_the_lock() >= 1
                ),
                "every request waits for the store",
            )
        finally:
            lock.release()

    try:
        responses = _post_all(app, ids, hold_until_all_wait)
    finally:
        activity.close()
    assert [r.status_code for r in responses] == [404 if c == UNKNOWN else 200 for c in ids]
    assert [r.json()["id"] for r in responses if r.status_code == 200] == [
        str(c) for c in ids if c != UNKNOWN
    ]
    assert _queries_sent(app) < len(ids)


def test_an_outage_answers_503_to_every_request_waiting_for_the_store(
    trained_bundle: TrainedBundle, tls_postgres: StoreServer
) -> None:
    database = tls_postgres.create_store(ROWS)
    app = _app(trained_bundle, tls_postgres.url("inference", database))
    ids = [*KNOWN_CUSTOMERS, UNKNOWN, 1]
    activity = Activity(tls_postgres, database)

    async def store_goes_down(tasks: list[asyncio.Task[Any]]) -> None:
        lock = TableLock(tls_postgres, database)
        try:
            await wait_for(
                lambda: (
                    _batcher(app).lookups_waiting == len(ids)
                    and activity.queries_blocked_on_the_lock() >= 1
                ),
                "every request waits for the store",
            )
            tls_postgres.allow_connections(database, allowed=False)
            # The service's sessions only: the lock outlives them, so no query can succeed.
            tls_postgres.admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND usename = 'inference'",
                (database,),
            )
            await wait_for(lambda: activity.sessions_of_the_service() == 0, "they are gone")
        finally:
            lock.release()

    try:
        responses = _post_all(app, ids, store_goes_down)
    finally:
        activity.close()
        tls_postgres.allow_connections(database, allowed=True)
        tls_postgres.drop(database)
    assert [r.status_code for r in responses] == [503] * len(ids)
    assert {r.json()["detail"] for r in responses} == {"feature store unavailable, retry later"}
    assert all(r.headers["Retry-After"] == "1" for r in responses)
