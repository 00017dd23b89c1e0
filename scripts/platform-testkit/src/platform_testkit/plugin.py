"""pytest plugin (entry point ``pytest11``) providing real services to every test suite.

Loaded in every suite, so this module imports only the standard library and pytest; moto and
psycopg2 are imported inside the fixtures that need them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from platform_testkit import aws, postgres

_SAVED_ENV = pytest.StashKey[dict[str, str | None]]()
_MOTO_FIXTURES = frozenset({"moto_endpoint", "aws_reset", "moto_stepfunctions_execution"})


def pytest_configure(config: pytest.Config) -> None:
    # Done at configure time, before any test module is imported, so even a boto3 client
    # created at import time sees fake credentials and the dead endpoint.
    config.stash[_SAVED_ENV] = aws.isolate_aws_environment(os.environ)


def pytest_unconfigure(config: pytest.Config) -> None:
    saved = config.stash.get(_SAVED_ENV, None)
    if saved is not None:
        aws.restore_environment(os.environ, saved)


# --- AWS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[str]:
    with aws.running_moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def moto_endpoint(_moto_server: str) -> Iterator[str]:
    """URL of the session's moto server; AWS_ENDPOINT_URL points at it while in use."""
    os.environ["AWS_ENDPOINT_URL"] = _moto_server
    yield _moto_server
    os.environ["AWS_ENDPOINT_URL"] = aws.DEAD_ENDPOINT_URL


@pytest.fixture(autouse=True)
def _aws_endpoint_guard(request: pytest.FixtureRequest) -> None:
    """Per test, AWS_ENDPOINT_URL is moto only if the test (transitively) asked for it.

    moto_endpoint is session-scoped, so without this guard every test running after the first
    moto user would silently reach moto too; with it, a test that forgot the fixture keeps
    failing fast on the dead endpoint regardless of test order.
    """
    if _MOTO_FIXTURES.intersection(request.fixturenames):
        os.environ["AWS_ENDPOINT_URL"] = request.getfixturevalue("moto_endpoint")
    else:
        os.environ["AWS_ENDPOINT_URL"] = aws.DEAD_ENDPOINT_URL


@pytest.fixture
def aws_reset(moto_endpoint: str) -> str:
    """Empty moto of all resources before the test; returns the endpoint URL."""
    aws.reset_moto(moto_endpoint)
    return moto_endpoint


@pytest.fixture
def moto_stepfunctions_execution(aws_reset: str) -> Iterator[str]:
    """moto with Step Functions really executing state machines (reset first); yields URL."""
    aws.enable_stepfunctions_execution(aws_reset)
    yield aws_reset
    aws.disable_stepfunctions_execution(aws_reset)


# --- PostgreSQL --------------------------------------------------------------------------------


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"PostgreSQL is required when CI=true: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL (postgresql+psycopg2://...) of a database on a throwaway server.

    Uses TEST_DATABASE_URL when set; otherwise starts PostgreSQL from the local binaries.
    """
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield postgres.to_sqlalchemy_url(external)
        return
    try:
        server_cm = postgres.running_postgres_server()
        server = server_cm.__enter__()
    except postgres.PostgresUnavailableError as error:
        _postgres_unavailable(str(error))
        raise  # unreachable: skip/fail raise; keeps type checkers and readers sure
    try:
        yield server.url
    finally:
        server_cm.__exit__(None, None, None)


@pytest.fixture
def postgres_db_url(postgres_url: str) -> Iterator[str]:
    """URL of a brand-new empty database, dropped (connections terminated) after the test."""
    name = postgres.unique_database_name()
    postgres.create_database(postgres_url, name)
    try:
        yield postgres.with_database(postgres_url, name)
    finally:
        postgres.drop_database(postgres_url, name)
