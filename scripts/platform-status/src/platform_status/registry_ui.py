"""`registry-ui`: the MLflow UI on a registry's backend store, bound to the loopback interface.

Locally the backend is the `make run` registry (SQLite). In AWS the registry database sits behind
the RDS Proxy in private subnets (no public endpoint): an SSM port-forwarding session brings the
proxy's port to the operator's machine (package README, "The registry UI in AWS"), and
``--db-auth iam`` connects as the `mlflow` role with an RDS IAM token, TLS verified against the
proxy's name (``verify-full``) while the packets go to the tunnel (libpq ``hostaddr``).

The store URL reaches `mlflow server` through its environment (MLFLOW_BACKEND_STORE_URI), never
its command line, so the token is not shown in the process list.
"""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy.engine import make_url

from platform_status.errors import StatusError

LOOPBACK = "127.0.0.1"
DB_AUTH_MODES = ("password", "iam")


def ui_command(port: int, workers: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def ui_environment(store_uri: str) -> dict[str, str]:
    """The registry and the tracking store are the same database."""
    return {"MLFLOW_BACKEND_STORE_URI": store_uri, "MLFLOW_REGISTRY_STORE_URI": store_uri}


def iam_store_uri(tracking_uri: str, rds_client: Any, via: str | None = None) -> str:
    """The backend URL with a fresh RDS IAM token as password and verified TLS.

    The token is signed for the URL's host and port (the proxy endpoint, 5432) and is accepted
    for new connections for 15 minutes; connections MLflow opened stay up after that. ``via``
    is the address the connection really goes to (the SSM tunnel's local end).
    """
    url = make_url(tracking_uri)
    if url.get_backend_name() != "postgresql" or not url.username or not url.host:
        raise StatusError("--db-auth iam needs postgresql+psycopg2://<role>@<proxy endpoint>/<db>")
    if url.password:
        raise StatusError("--db-auth iam mints its own token: remove the password from the URL")
    token = rds_client.generate_db_auth_token(
        DBHostname=url.host,
        Port=url.port or 5432,
        DBUsername=url.username,
        Region=rds_client.meta.region_name,
    )
    query = dict(url.query)
    query["sslmode"] = "verify-full"
    if "sslrootcert" not in query:
        import certifi

        query["sslrootcert"] = certifi.where()
    if via:
        query["hostaddr"] = via
    return url.set(password=token, query=query).render_as_string(hide_password=False)
