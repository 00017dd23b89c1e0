"""The platform's database roles on the test server, created by running ``db-bootstrap`` itself.

The session runs the real command once (as the master user), then keeps pristine copies of the
two databases it made as templates. A test that asks for role URLs gets its own copies, with
the same grants and default privileges, dropped after the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from platform_testkit import postgres

# Which database each service role uses in production (docs/database-access.md).
ROLE_DATABASES = {
    "feature_pipeline": "features",
    "inference": "features",
    "monitoring": "features",
    "mlflow": "mlflow",
}
SERVICE_DATABASES = ("features", "mlflow")
TEMPLATE_SUFFIX = "_template"
COMMAND = "db-bootstrap"


class DbBootstrapMissingError(RuntimeError):
    """The ``db-bootstrap`` command is not installed next to this interpreter or on PATH."""


def find_db_bootstrap() -> str:
    beside_python = Path(sys.executable).parent / COMMAND
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    on_path = shutil.which(COMMAND)
    if on_path:
        return on_path
    raise DbBootstrapMissingError(
        f"`{COMMAND}` not found beside {sys.executable} or on PATH; install db-bootstrap "
        "(make setup does)"
    )


def run_db_bootstrap(master_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the real command against ``master_url``; raise with its output if it fails."""
    completed = subprocess.run(
        [find_db_bootstrap(), "--master-url", postgres.to_libpq_url(master_url), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{COMMAND} failed (exit {completed.returncode}):\n{completed.stdout}{completed.stderr}"
        )
    return completed


@dataclass
class ServiceDatabases:
    """The bootstrapped server: role URLs for the session databases, and per-test copies."""

    endpoint: postgres.Endpoint
    bootstrap_output: str = ""

    def url(self, role: str, database: str | None = None) -> str:
        """URL of ``role`` on ``database`` (default: the database the role uses in production)."""
        return self.endpoint.url(role, database or database_for(role))

    def copy(self, kind: str) -> str:
        """A new database copied from the pristine ``features``/``mlflow``; returns its name."""
        if kind not in SERVICE_DATABASES:
            raise ValueError(f"unknown database kind {kind!r}; one of {SERVICE_DATABASES}")
        name = postgres.unique_database_name(kind)
        postgres.copy_database(self.endpoint.admin_url, kind + TEMPLATE_SUFFIX, name)
        return name

    def drop(self, name: str) -> None:
        postgres.drop_database(self.endpoint.admin_url, name)


def database_for(role: str) -> str:
    try:
        return ROLE_DATABASES[role]
    except KeyError:
        raise ValueError(
            f"unknown service role {role!r}; one of {sorted(ROLE_DATABASES)}"
        ) from None


def bootstrap_service_databases(endpoint: postgres.Endpoint) -> ServiceDatabases:
    """Run db-bootstrap on the server, then freeze copies of its databases as templates."""
    completed = run_db_bootstrap(endpoint.master_url)
    for kind in SERVICE_DATABASES:
        template = kind + TEMPLATE_SUFFIX
        postgres.drop_database(endpoint.admin_url, template)  # left by an earlier external run
        postgres.copy_database(endpoint.admin_url, kind, template)
        postgres.freeze_as_template(endpoint.admin_url, template)
    return ServiceDatabases(endpoint, completed.stdout)


@dataclass
class RoleUrls:
    """What ``postgres_role_url`` yields: call it with a role name, get that role's URL.

    The first call for a database kind copies it for this test; later calls (other roles)
    reach the same copy, so ``feature_pipeline`` can create a table that ``inference`` reads.
    """

    databases: ServiceDatabases
    created: dict[str, str] = field(default_factory=dict)

    def __call__(self, role: str, database: str | None = None) -> str:
        database_for(role)  # an unknown role fails here, not at connect time
        return self.databases.endpoint.url(role, self.database_name(database or database_for(role)))

    def database_name(self, kind: str) -> str:
        """Name of this test's copy of ``features`` or ``mlflow`` (copied on first use)."""
        if kind not in self.created:
            self.created[kind] = self.databases.copy(kind)
        return self.created[kind]

    def admin_url(self, kind: str) -> str:
        """Superuser URL of this test's copy (for set-up the roles may not do)."""
        return postgres.with_database(self.databases.endpoint.admin_url, self.database_name(kind))

    def close(self) -> None:
        for name in self.created.values():
            self.databases.drop(name)
        self.created.clear()
