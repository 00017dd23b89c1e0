"""`registry-ui`: the MLflow UI on a registry's backend store, bound to the loopback interface.

Locally the backend is the `make run` registry (SQLite). In AWS the registry database is private
(no public endpoint): the same command runs there behind an SSM port-forwarding session, see
the package README ("The registry UI in AWS").
"""

from __future__ import annotations

import sys

LOOPBACK = "127.0.0.1"


def ui_command(tracking_uri: str, port: int, workers: int = 1) -> list[str]:
    """The `mlflow server` call: the registry and tracking store are the same database."""
    return [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        tracking_uri,
        "--registry-store-uri",
        tracking_uri,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
