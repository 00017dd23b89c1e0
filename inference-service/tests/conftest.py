"""Fixtures: a bundle trained here with scikit-learn, a contract-shaped SQLite store, clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from isvc_postgres import StoreServer
from isvc_support import (
    CUSTOMER_REF_KEY,
    TrainedBundle,
    create_sqlite_store,
    train_reference_pipeline,
    write_bundle,
)


@pytest.fixture(scope="session")
def trained_bundle(tmp_path_factory: pytest.TempPathFactory) -> TrainedBundle:
    pipeline, x = train_reference_pipeline()
    directory = tmp_path_factory.mktemp("bundle")
    metadata = write_bundle(directory, pipeline, x)
    return TrainedBundle(directory, pipeline, metadata)


@pytest.fixture(scope="session")
def tls_postgres(postgres_service_databases: Any) -> StoreServer:
    """The test kit's PostgreSQL: TLS only, the service roles made by db-bootstrap."""
    return StoreServer(postgres_service_databases)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Path:
    return create_sqlite_store(tmp_path / "features.db")


@pytest.fixture
def make_client(trained_bundle: TrainedBundle, sqlite_store: Path) -> Iterator[Any]:
    """Factory: a TestClient (lifespan run) for the given settings overrides."""
    from inference_service.config import Settings
    from inference_service.main import create_app

    clients: list[TestClient] = []

    def factory(**overrides: Any) -> TestClient:
        values: dict[str, Any] = {
            "feature_store_url": f"sqlite:///{sqlite_store}",
            "model_bundle_dir": trained_bundle.directory,
            "metrics_flush_interval_seconds": 300.0,
            "customer_ref_key": CUSTOMER_REF_KEY,
        }
        values.update(overrides)
        client = TestClient(create_app(Settings(**values)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client()
