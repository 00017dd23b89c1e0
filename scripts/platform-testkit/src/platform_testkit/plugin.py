"""pytest plugin (entry point ``pytest11``) providing real services to every test suite.

Loaded in every suite, so this module imports only the standard library and pytest; moto,
boto3, psycopg2 and cryptography are imported inside the fixtures that need them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from platform_testkit import aws, postgres, postgres_server, roles
from platform_testkit import aws_variables as aws_variables_module
from platform_testkit import image_tree as image_tree_module

if TYPE_CHECKING:
    from platform_testkit.iam import IamEnforcement

_SAVED_ENV = pytest.StashKey[dict[str, str | None]]()
_AWS_FIXTURES = frozenset(
    {"aws_endpoint", "moto_endpoint", "aws_reset", "aws_iam", "moto_stepfunctions_execution"}
)


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


_SERVICES = pytest.StashKey[frozenset[str] | None]()


def pytest_configure(config: pytest.Config) -> None:
    # Done at configure time, before any test module is imported, so even a boto3 client
    # created at import time sees fake credentials and the dead endpoint.
    config.stash[_SAVED_ENV] = aws.isolate_aws_environment(os.environ)
    config.addinivalue_line(
        "markers",
        "aws_services(*names): AWS services (boto3 names) the test needs from the emulator; "
        "skipped when an external emulator does not offer one (e.g. LocalStack without Pro)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("aws_services")
    endpoint = _external_aws()
    if marker is None or endpoint is None:
        return  # the kit's moto serves every service the platform uses
    if _SERVICES not in item.config.stash:
        item.config.stash[_SERVICES] = aws.available_services(endpoint)
    available = item.config.stash[_SERVICES]
    missing = sorted(set(marker.args) - available) if available is not None else []
    if missing:
        pytest.skip(
            f"needs {', '.join(missing)} from the AWS emulator, which does not offer "
            f"{'it' if len(missing) == 1 else 'them'} ({aws.SERVICES_ENV} or the emulator's "
            "health report); on LocalStack these are paid-tier services"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    saved = config.stash.get(_SAVED_ENV, None)
    if saved is not None:
        aws.restore_environment(os.environ, saved)


def pytest_report_header(config: pytest.Config) -> list[str]:
    external_aws = os.environ.get(aws.EXTERNAL_ENDPOINT_ENV)
    external_db = os.environ.get("TEST_DATABASE_URL")
    return [
        "platform-testkit: AWS "
        + (f"external emulator {external_aws}" if external_aws else "moto (started on demand)")
        + "; PostgreSQL "
        + ("TEST_DATABASE_URL" if external_db else "local TLS server (started on demand)")
    ]


# --- AWS ---------------------------------------------------------------------------------------


def _external_aws() -> str | None:
    try:
        return aws.external_endpoint()
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def _needs_kit_moto(feature: str) -> None:
    """Skip a test needing a moto-only admin call when the emulator is external."""
    endpoint = _external_aws()
    if endpoint is not None:
        pytest.skip(
            f"{feature} needs the kit's own moto server; {aws.EXTERNAL_ENDPOINT_ENV}={endpoint} "
            "names an external emulator"
        )


@pytest.fixture(scope="session")
def _aws_emulator() -> Iterator[str]:
    external = _external_aws()
    if external is not None:
        yield external
        return
    with aws.running_moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def aws_endpoint(_aws_emulator: str) -> Iterator[str]:
    """URL of the session's AWS emulator; AWS_ENDPOINT_URL points at it while in use."""
    os.environ["AWS_ENDPOINT_URL"] = _aws_emulator
    yield _aws_emulator
    os.environ["AWS_ENDPOINT_URL"] = aws.DEAD_ENDPOINT_URL


@pytest.fixture(scope="session")
def moto_endpoint(aws_endpoint: str) -> str:
    """The emulator's URL under its first name (moto, or TEST_AWS_ENDPOINT_URL's emulator)."""
    return aws_endpoint


@pytest.fixture(autouse=True)
def _aws_endpoint_guard(request: pytest.FixtureRequest) -> None:
    """Per test, AWS_ENDPOINT_URL is the emulator only if the test (transitively) asked for it.

    The emulator fixtures are session-scoped, so without this guard every test running after
    the first emulator user would silently reach it too; with it, a test that forgot the
    fixture keeps failing fast on the dead endpoint regardless of test order.
    """
    if _AWS_FIXTURES.intersection(request.fixturenames):
        os.environ["AWS_ENDPOINT_URL"] = request.getfixturevalue("aws_endpoint")
    else:
        os.environ["AWS_ENDPOINT_URL"] = aws.DEAD_ENDPOINT_URL


@pytest.fixture
def aws_reset(aws_endpoint: str) -> str:
    """Empty the emulator of all resources before the test; returns the endpoint URL."""
    aws.reset(aws_endpoint, external=_external_aws() is not None)
    return aws_endpoint


@pytest.fixture
def moto_stepfunctions_execution(aws_endpoint: str) -> Iterator[str]:
    """moto with Step Functions really executing state machines (reset first); yields URL."""
    _needs_kit_moto("Step Functions execution (moto's /moto-api/config)")
    aws.reset_moto(aws_endpoint)
    aws.enable_stepfunctions_execution(aws_endpoint)
    yield aws_endpoint
    aws.disable_stepfunctions_execution(aws_endpoint)


@pytest.fixture
def aws_iam(aws_endpoint: str) -> Iterator[IamEnforcement]:
    """moto emptied, an admin identity as the default credentials, IAM enforced for the test.

    Yields :class:`platform_testkit.iam.IamEnforcement` (``admin``, ``assume_role``,
    ``acting_as``, ``copy_role_without``); enforcement is switched off again afterwards.
    """
    _needs_kit_moto("IAM enforcement (moto's /moto-api/reset-auth)")
    from platform_testkit.iam import enforced_iam

    with enforced_iam(aws_endpoint) as enforcement:
        yield enforcement


@pytest.fixture
def aws_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[aws_variables_module.SetVariables]:
    """``aws_variables({"AWS_REGION": ...})`` sets a case of the SDKs' variables
    (:mod:`platform_testkit.aws_variables`) on a clean slate: no region, profile or endpoint."""
    yield from aws_variables_module.variables_setter(monkeypatch, tmp_path)


# --- PostgreSQL --------------------------------------------------------------------------------


def _postgres_unavailable(reason: str) -> None:
    if _ci():
        pytest.fail(f"PostgreSQL is required when CI=true: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def _start_local_server() -> Iterator[postgres_server.PostgresServer]:
    try:
        server_cm = postgres_server.running_postgres_server()
        server = server_cm.__enter__()
    except postgres.PostgresUnavailableError as error:
        _postgres_unavailable(str(error))
        raise  # unreachable: skip/fail raise; keeps type checkers and readers sure
    try:
        yield server
    finally:
        server_cm.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_endpoint() -> Iterator[postgres.Endpoint]:
    """The session's server: host, port, ``ca_file``, ``admin_url``, ``master_url`` and
    ``url(user, database)`` (a local TLS-only server, or TEST_DATABASE_URL's)."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield postgres.endpoint_from_url(external)
        return
    for server in _start_local_server():
        yield server.endpoint


@pytest.fixture(scope="session")
def postgres_url(postgres_endpoint: postgres.Endpoint) -> str:
    """Superuser SQLAlchemy URL (postgresql+psycopg2://...?sslmode=verify-full&sslrootcert=...)
    of the session database on a throwaway TLS-only server, or TEST_DATABASE_URL normalised."""
    external = os.environ.get("TEST_DATABASE_URL")
    return postgres.to_sqlalchemy_url(external) if external else postgres_endpoint.admin_url


@pytest.fixture
def postgres_db_url(postgres_url: str) -> Iterator[str]:
    """URL of a brand-new empty database, dropped (connections terminated) after the test."""
    name = postgres.unique_database_name()
    postgres.create_database(postgres_url, name)
    try:
        yield postgres.with_database(postgres_url, name)
    finally:
        postgres.drop_database(postgres_url, name)


@pytest.fixture(scope="session")
def postgres_ca_file(postgres_endpoint: postgres.Endpoint) -> Path:
    """The CA certificate the server's certificate chains to (what URLs pass as sslrootcert)."""
    if postgres_endpoint.ca_file is None:
        pytest.skip("TEST_DATABASE_URL carries no sslrootcert: the server's CA is unknown")
    return postgres_endpoint.ca_file


@pytest.fixture(scope="session")
def postgres_service_databases(postgres_endpoint: postgres.Endpoint) -> roles.ServiceDatabases:
    """The server after `db-bootstrap` ran on it as the master user (once per session)."""
    try:
        return roles.bootstrap_service_databases(postgres_endpoint)
    except roles.DbBootstrapMissingError as error:
        _postgres_unavailable(str(error))
        raise


@pytest.fixture
def postgres_role_url(
    postgres_service_databases: roles.ServiceDatabases,
) -> Iterator[roles.RoleUrls]:
    """``postgres_role_url("inference")``: that role's URL on this test's own copy of the
    database it uses (``features`` or ``mlflow``), with the grants db-bootstrap made."""
    urls = roles.RoleUrls(postgres_service_databases)
    try:
        yield urls
    finally:
        urls.close()


@pytest.fixture
def postgres_fresh_server() -> Iterator[postgres_server.PostgresServer]:
    """A new TLS-only server for this test alone: no service roles yet (db-bootstrap's tests)."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs a local server of its own; TEST_DATABASE_URL points elsewhere")
    yield from _start_local_server()


# --- Images -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def image_tree(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., image_tree_module.ImageTree]:
    """``image_tree(dockerfile, context, build_args=..., context_overlay=...)``: the file tree
    that image's build produces (:mod:`platform_testkit.image_tree`), assembled once per session
    under a temporary root; a missing uv fails under CI=true and skips elsewhere."""
    built: dict[tuple[Path, Path, str], image_tree_module.ImageTree] = {}

    def build(dockerfile: Path, context: Path, **options: Any) -> image_tree_module.ImageTree:
        key = (dockerfile.resolve(), context.resolve(), repr(sorted(options.items())))
        if key not in built:
            root = tmp_path_factory.mktemp(f"image-{dockerfile.parent.name}")
            try:
                built[key] = image_tree_module.build_image_tree(
                    dockerfile, context, root, **options
                )
            except image_tree_module.ImageToolMissingError as error:
                if _ci():
                    pytest.fail(f"TOOL MISSING (CI=true): {error}", pytrace=False)
                pytest.skip(f"TOOL MISSING: {error}")
        return built[key]

    return build
