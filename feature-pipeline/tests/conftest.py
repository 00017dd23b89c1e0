"""Shared fixtures: one local SparkSession, generated input files, the store's database roles."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from pyspark.sql import SparkSession
from sqlalchemy.engine import make_url

from feature_pipeline.config import SparkSettings
from feature_pipeline.spark_session import build_session
from feature_pipeline_jvm.options import JvmSettings, java_options

GENERATED_CUSTOMERS = 3000
GENERATED_SEED = 7


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = build_session(
        SparkSettings(
            master="local[1]",
            driver_memory="768m",
            shuffle_partitions=2,
            # Several splits even for small files, so split-ordering code is really exercised.
            max_partition_bytes=4 * 1024 * 1024,
        ),
        app_name="feature-pipeline-tests",
        java_options=java_options(JvmSettings()),
    )
    yield session
    session.stop()


def generate_loans(out: Path, *extra: str, customers: int = GENERATED_CUSTOMERS) -> None:
    command = shutil.which("generate-loans") or str(
        Path(__file__).resolve().parents[2] / ".venv" / "bin" / "generate-loans"
    )
    subprocess.run(
        [
            command,
            "--customers",
            str(customers),
            "--seed",
            str(GENERATED_SEED),
            "--out",
            str(out),
            *extra,
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def generated_loans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean generated file of a few thousand customers (~63k rows)."""
    out = tmp_path_factory.mktemp("generated") / "loans.csv"
    generate_loans(out)
    return out


@pytest.fixture(scope="session")
def defective_loans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The same customers with 1 % injected defect rows, and the generator's manifest."""
    folder = tmp_path_factory.mktemp("defective")
    out, manifest = folder / "loans.csv", folder / "manifest.json"
    generate_loans(out, "--defects", "0.01", "--manifest", str(manifest))
    return out, json.loads(manifest.read_text())


# --- the feature store database, with the roles of docs/database-access.md ------------------
# The roles are db-bootstrap's (the test kit runs it once per session); each test's database gets
# the grants db-bootstrap gives `features`, so chaos runs can make as many databases as they need.

PIPELINE_ROLE, SERVING_ROLES = "feature_pipeline", ("inference", "monitoring")


@dataclass(frozen=True)
class StoreDatabase:
    admin_url: str  # superuser: only for the test's own set-up and inspection
    pipeline_url: str  # what the pipeline uses (role feature_pipeline)
    inference_url: str
    monitoring_url: str


def _as_role(url: str, role: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def _execute(url: str, *statements: str) -> None:
    connection = psycopg2.connect(_libpq(url))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


@pytest.fixture(scope="session")
def store_roles(postgres_service_databases: Any, postgres_url: str) -> str:
    """The server with the service roles db-bootstrap made (roles are cluster-wide)."""
    return postgres_url


def prepare_store_database(url: str) -> StoreDatabase:
    """Set up an empty database as the bootstrap sets up `features`; URLs per role."""
    database = make_url(url).database  # the URL also carries sslmode and sslrootcert
    readers = ", ".join(SERVING_ROLES)
    _execute(
        url,
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {database} TO {PIPELINE_ROLE}, {readers}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {PIPELINE_ROLE}",
        f"GRANT USAGE ON SCHEMA public TO {readers}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {PIPELINE_ROLE} IN SCHEMA public "
        f"GRANT SELECT ON TABLES TO {readers}",
    )
    return StoreDatabase(
        admin_url=url,
        pipeline_url=_as_role(url, PIPELINE_ROLE),
        inference_url=_as_role(url, "inference"),
        monitoring_url=_as_role(url, "monitoring"),
    )


@pytest.fixture
def store_db(store_roles: str, postgres_db_url: str) -> StoreDatabase:
    """A fresh database set up as the bootstrap sets up `features`."""
    return prepare_store_database(postgres_db_url)
