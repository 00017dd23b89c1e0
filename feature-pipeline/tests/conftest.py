"""Shared fixtures: one local SparkSession for the whole suite, and generated input files."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from feature_pipeline.config import SparkSettings
from feature_pipeline.spark_session import build_session

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
    )
    yield session
    session.stop()


def _generate(out: Path, *extra: str) -> None:
    command = shutil.which("generate-loans") or str(
        Path(__file__).resolve().parents[2] / ".venv" / "bin" / "generate-loans"
    )
    subprocess.run(
        [
            command,
            "--customers",
            str(GENERATED_CUSTOMERS),
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
    _generate(out)
    return out


@pytest.fixture(scope="session")
def defective_loans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The same customers with 1 % injected defect rows, and the generator's manifest."""
    folder = tmp_path_factory.mktemp("defective")
    out, manifest = folder / "loans.csv", folder / "manifest.json"
    _generate(out, "--defects", "0.01", "--manifest", str(manifest))
    return out, json.loads(manifest.read_text())
