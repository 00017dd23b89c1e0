"""The `inference-service` command: deployment check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from isvc_support import CUSTOMER_REF_KEY, FEATURE_NAMES, TrainedBundle
from typer.testing import CliRunner

from inference_service.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _customer_ref_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOMER_REF_KEY", CUSTOMER_REF_KEY)


def test_check_reports_a_good_deployment(trained_bundle: TrainedBundle, sqlite_store: Path) -> None:
    result = runner.invoke(
        app,
        [
            "check",
            "--bundle-dir",
            str(trained_bundle.directory),
            "--store-url",
            f"sqlite:///{sqlite_store}",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["features"] == FEATURE_NAMES
    assert summary["store"] == "reachable"


def test_check_fails_with_the_reason(trained_bundle: TrainedBundle, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "check",
            "--bundle-dir",
            str(tmp_path / "missing"),
            "--store-url",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
    )
    assert result.exit_code == 1
    assert "BundleError" in result.stderr
    assert "does not exist" in result.stderr
