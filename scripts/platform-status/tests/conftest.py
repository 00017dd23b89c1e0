"""A small platform laid out the way `make run` leaves it (scripts/run_platform.sh), built here.

- ``feature_store.db``: the store table of docs/contracts/online-store.md;
- ``mlflow/mlflow.db``: an MLflow registry with model ``credit-risk`` versions 1 and 2, aliases
  ``champion`` -> 1 and ``challenger`` -> 2 (built once per session: MLflow's migrations cost
  seconds; tests never move the aliases of the shared registry);
- ``bundle/``: ``metadata.json`` and ``model.onnx`` of the version a test chooses to serve;
- ``lake/features/_LATEST`` naming the store's run.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

MODEL = "credit-risk"
AS_OF = "2021-01-01"
RUN_ID = "20210101-0123456789ab"
CUSTOMERS = 25


@pytest.fixture(scope="session")
def registry_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("registry") / "mlflow.db"
    client = MlflowClient(tracking_uri=f"sqlite:///{path}", registry_uri=f"sqlite:///{path}")
    client.create_registered_model(MODEL)
    for _ in range(2):
        client.create_model_version(MODEL, source=f"file://{path.parent}/model")
    client.set_registered_model_alias(MODEL, "champion", "1")
    client.set_registered_model_alias(MODEL, "challenger", "2")
    return path


def write_store(path: Path, as_of: str = AS_OF, run_ids: tuple[str, ...] = (RUN_ID,)) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE customer_features (id TEXT PRIMARY KEY, nb_previous_loans INTEGER, "
            "avg_amount_loans_previous REAL, age INTEGER, years_on_the_job INTEGER, "
            "flag_own_car INTEGER, as_of TEXT, last_loan_date TEXT, run_id TEXT)"
        )
        connection.executemany(
            "INSERT INTO customer_features VALUES (?, 2, 150.5, 40, 3, 1, ?, '2020-12-01', ?)",
            [(str(5008800 + i), as_of, run_ids[i % len(run_ids)]) for i in range(CUSTOMERS)],
        )


def write_bundle(folder: Path, version: str, model_bytes: bytes) -> None:
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(model_bytes)
    metadata = {
        "schema_version": 2,
        "model_name": MODEL,
        "model_version": version,
        "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
    }
    (folder / "metadata.json").write_text(json.dumps(metadata))


@dataclass
class LocalRun:
    root: Path

    def serve(self, version: str, model_bytes: bytes | None = None) -> None:
        shutil.rmtree(self.root / "bundle", ignore_errors=True)
        write_bundle(self.root / "bundle", version, model_bytes or f"onnx {version}".encode())

    def write_report(self, folder: str, status: str, alerts: list[str], version: str) -> None:
        target = self.root / "monitoring" / folder
        target.mkdir(parents=True)
        report = {
            "status": status,
            "alerts": alerts,
            "now": f"{folder[:4]}-{folder[4:6]}-{folder[6:8]}T04:30:00+00:00",
            "model": {"model_name": MODEL, "model_version": version},
        }
        (target / "report.json").write_text(json.dumps(report))


@pytest.fixture
def local_run(tmp_path: Path, registry_db: Path) -> Callable[..., LocalRun]:
    """Build a `make run` folder: store as of ``as_of``, serving ``served`` (champion is 1)."""

    def build(served: str = "1", as_of: str = AS_OF) -> LocalRun:
        root = tmp_path / "run"
        (root / "mlflow").mkdir(parents=True)
        shutil.copy(registry_db, root / "mlflow" / "mlflow.db")
        write_store(root / "feature_store.db", as_of=as_of)
        (root / "lake" / "features").mkdir(parents=True)
        pointer = {"run_id": RUN_ID, "as_of": as_of, "prefix": f"run={RUN_ID}/"}
        (root / "lake" / "features" / "_LATEST").write_text(json.dumps(pointer))
        run = LocalRun(root)
        run.serve(served)
        return run

    return build
