"""AWS isolation for tests: fake credentials, a dead default endpoint and an emulator.

Everything in the platform talks to AWS through boto3 with the endpoint taken from the standard
``AWS_ENDPOINT_URL`` variable, so controlling that variable (and removing every way boto3 could
find real credentials or bypass the endpoint) is enough to keep tests off real AWS.

The emulator is a moto server the session starts in-process, or, when ``TEST_AWS_ENDPOINT_URL``
is set, an emulator that is already running (LocalStack, a moto server started by hand, ...).
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # moto is heavy to import; only fixtures that need it pay for it.
    from moto.server import ThreadedMotoServer

EXTERNAL_ENDPOINT_ENV = "TEST_AWS_ENDPOINT_URL"
SERVICES_ENV = "TEST_AWS_SERVICES"
# LocalStack reports its services here; a state in _SERVICE_UP means the service can be used.
LOCALSTACK_HEALTH_PATH = "/_localstack/health"
_SERVICE_UP = frozenset({"available", "running"})
# Hosts of real AWS endpoints: an "external emulator" there would be AWS itself.
_REAL_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".aws")

# Port 9 is the "discard" service, which nothing here runs: connections are refused at once,
# so a test that forgot to request the moto fixture fails immediately instead of reaching AWS.
DEAD_ENDPOINT_URL = "http://127.0.0.1:9"

FAKE_AWS_ENV: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    # Profiles and credential files could otherwise supply real keys or an endpoint override.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ENDPOINT_URL": DEAD_ENDPOINT_URL,
}

# Variables that would make boto3 pick credentials or endpoints other than the ones above.
_UNSAFE_AWS_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_CREDENTIAL_EXPIRATION",
)
# Per-service endpoints (AWS_ENDPOINT_URL_S3, ...) take precedence over AWS_ENDPOINT_URL.
_SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"


def isolate_aws_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, str | None]:
    """Point ``environ`` at fake credentials and the dead endpoint.

    Returns the previous value of every variable touched (None = was unset) so the caller can
    restore the environment afterwards.
    """
    touched = [
        *FAKE_AWS_ENV,
        *_UNSAFE_AWS_VARS,
        *(name for name in environ if name.startswith(_SERVICE_ENDPOINT_PREFIX)),
    ]
    previous = {name: environ.get(name) for name in touched}
    for name in _UNSAFE_AWS_VARS:
        environ.pop(name, None)
    for name in list(environ):
        if name.startswith(_SERVICE_ENDPOINT_PREFIX):
            del environ[name]
    environ.update(FAKE_AWS_ENV)
    return previous


def restore_environment(
    environ: os._Environ[str] | dict[str, str], previous: Mapping[str, str | None]
) -> None:
    for name, value in previous.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value


def external_endpoint() -> str | None:
    """The already-running emulator named by TEST_AWS_ENDPOINT_URL, or None (start moto).

    Refuses real AWS hosts: the variable is for emulators only.
    """
    value = os.environ.get(EXTERNAL_ENDPOINT_ENV, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"{EXTERNAL_ENDPOINT_ENV}={value!r} is not an http(s) URL")
    if host.endswith(_REAL_AWS_SUFFIXES) or host in {"amazonaws.com", "api.aws"}:
        raise ValueError(
            f"{EXTERNAL_ENDPOINT_ENV}={value!r} names a real AWS endpoint; it must name an "
            "emulator (e.g. http://localhost:4566)"
        )
    return value.rstrip("/")


def available_services(endpoint: str) -> frozenset[str] | None:
    """Services an external emulator offers: TEST_AWS_SERVICES (comma-separated) if set, else
    what LocalStack's health endpoint reports as available or running; None if unknown."""
    declared = os.environ.get(SERVICES_ENV, "").strip()
    if declared:
        return frozenset(name.strip() for name in declared.split(",") if name.strip())
    try:
        with urllib.request.urlopen(  # noqa: S310 - the emulator the user named
            f"{endpoint}{LOCALSTACK_HEALTH_PATH}", timeout=5
        ) as response:
            report = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    services = report.get("services") if isinstance(report, dict) else None
    if not isinstance(services, dict):
        return None
    return frozenset(name for name, state in services.items() if state in _SERVICE_UP)


def _post(url: str, data: bytes, content_type: str, timeout: float = 10.0) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - URL is our own moto server
        url, data=data, method="POST", headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        body: bytes = response.read()
        return body


def _post_json(url: str, payload: object | None = None, timeout: float = 10.0) -> bytes:
    data = b"" if payload is None else json.dumps(payload).encode("utf-8")
    return _post(url, data, "application/json", timeout)


def set_iam_enforcement(endpoint: str, enabled: bool) -> None:
    """Switch the moto server's IAM checks on (from its next request) or off.

    moto checks a request's signature and the caller's policies once it has served
    ``INITIAL_NO_AUTH_ACTION_COUNT`` requests; ``POST /moto-api/reset-auth`` sets that count
    and restarts the counter, so 0 means "enforce now" and infinity "never". The setting is
    global to the server (a module variable in moto), like everything else it holds.
    """
    # text/plain: moto reads the raw body, which werkzeug leaves empty for form-encoded posts.
    _post(f"{endpoint}/moto-api/reset-auth", b"0" if enabled else b"inf", "text/plain")


def reset_moto(endpoint: str) -> None:
    """Drop every resource the moto server holds (buckets, tables, state machines, ...).

    moto's runtime config (e.g. Step Functions execution) is not part of the reset.
    """
    _post_json(f"{endpoint}/moto-api/reset")


def reset(endpoint: str, *, external: bool) -> None:
    """Empty the emulator: moto's reset call, or for an external emulator a sweep through the
    public APIs (:mod:`platform_testkit.emulator`)."""
    if external:
        from platform_testkit.emulator import sweep

        sweep(endpoint)
    else:
        reset_moto(endpoint)


def set_stepfunctions_execution(endpoint: str, enabled: bool = True) -> None:
    """Switch moto's Step Functions between recording and really executing state machines.

    By default moto only records ``StartExecution`` calls (executions appear RUNNING/SUCCEEDED
    without running any state). With execution on, moto interprets the ASL definition
    (Pass/Choice/Wait/Fail/Map/Parallel and service integrations moto itself emulates).
    Enable it *before* creating state machines: moto keeps the two modes in separate stores.
    """
    # moto 5.2 accepts this key but does not echo it back from GET /moto-api/config, so the
    # effect can only be observed by running a state machine (the testkit's own tests do).
    _post_json(
        f"{endpoint}/moto-api/config",
        {"stepfunctions": {"execute_state_machine": enabled}},
    )


def enable_stepfunctions_execution(endpoint: str) -> None:
    set_stepfunctions_execution(endpoint, enabled=True)


def disable_stepfunctions_execution(endpoint: str) -> None:
    set_stepfunctions_execution(endpoint, enabled=False)


def _wait_until_serving(endpoint: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(  # noqa: S310 - loopback moto server
                f"{endpoint}/moto-api/data.json", timeout=2
            ) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:
            last_error = error
        time.sleep(0.05)
    raise RuntimeError(f"moto server at {endpoint} did not answer within {timeout}s: {last_error}")


@contextmanager
def _environment_variable(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@contextmanager
def running_moto_server(startup_timeout: float = 30.0) -> Iterator[str]:
    """Run moto in server mode in this process, on 127.0.0.1 and a kernel-chosen free port.

    Yields the endpoint URL. In-process (a thread) rather than a subprocess: no port race,
    no orphan process if the test run is killed, and it starts in well under a second.
    IAM is not enforced until :func:`set_iam_enforcement` switches it on.
    """
    from moto.server import ThreadedMotoServer

    from platform_testkit.moto_iam import apply_corrections

    apply_corrections()
    # werkzeug logs every request at INFO, which floods pytest's captured-log sections.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server: ThreadedMotoServer = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        _wait_until_serving(endpoint, startup_timeout)
        # Off whatever INITIAL_NO_AUTH_ACTION_COUNT the environment had when moto was imported.
        set_iam_enforcement(endpoint, enabled=False)
        # Service integrations run by moto's Step Functions interpreter (sns:publish, ...) call
        # back into "the" moto server at localhost:$MOTO_PORT: make that this one.
        with _environment_variable("MOTO_PORT", str(port)):
            yield endpoint
    finally:
        server.stop()
        # stop() ends serve_forever but leaves the listening socket open until garbage
        # collection; close it so the port is released as soon as the session ends.
        wsgi_server = getattr(server, "_server", None)
        if wsgi_server is not None:
            wsgi_server.server_close()
