"""Issue 16 item 8: every Terraform root commits its .terraform.lock.hcl, the lock pins the
provider the mirror holds with its linux_amd64 hash (recomputed here from the mirror's files, the
way Terraform's "h1:" hash is defined), and the suite's inits use it read-only."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    DEFAULT_PLUGIN_MIRROR,
    INFRA,
    INIT_LOCKED,
    MODULES,
    PROVIDER_ADDRESS,
    REPO,
    TEMPLATE,
    Terraform,
    all_roots,
    live_roots,
)
from .jobs import EmulatorDeployment, wait
from .test_hcl_conventions import parse

LOCK = ".terraform.lock.hcl"
LOCKED_ROOTS = [*all_roots(), TEMPLATE]


def mirror_platform_dirs() -> list[Path]:
    mirror = Path(os.environ.get("TF_PLUGIN_MIRROR", DEFAULT_PLUGIN_MIRROR))
    return sorted((mirror / PROVIDER_ADDRESS).glob("*/linux_amd64"))


def h1_hash(package: Path) -> str:
    """Terraform's "h1:" package hash (golang.org/x/mod dirhash Hash1): base64 SHA-256 over the
    sorted lines "<sha256 hex>  <relative path>\\n" of the unpacked package's files."""
    lines = []
    for path in sorted(p for p in package.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        lines.append(f"{digest.hexdigest()}  {path.relative_to(package).as_posix()}\n")
    return "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()


def lock_entry(root: Path) -> dict[str, Any]:
    providers = {}
    for entry in parse(root / LOCK).get("provider", []):
        providers.update(entry)
    assert set(providers) == {PROVIDER_ADDRESS}, f"{root}: providers {set(providers)}"
    return providers[PROVIDER_ADDRESS]  # type: ignore[no-any-return]


@pytest.mark.parametrize("root", LOCKED_ROOTS, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_root_commits_its_lock(root: Path) -> None:
    assert (root / LOCK).is_file(), f"{root}: no {LOCK} (infra/scripts/lock-providers.sh)"
    if shutil.which("git") and (REPO / ".git").exists():
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", str(root / LOCK)], cwd=REPO, check=False
        )
        assert ignored.returncode == 1, f"{root / LOCK} is ignored by git"


def test_locks_pin_the_mirrors_provider_with_its_linux_amd64_hash() -> None:
    packages = mirror_platform_dirs()
    if not packages:
        pytest.skip("no provider mirror (TF_PLUGIN_MIRROR)")
    [package] = packages
    version = package.parent.name
    expected = h1_hash(package)
    for root in LOCKED_ROOTS:
        entry = lock_entry(root)
        assert entry["version"] == version, f"{root}: locks {entry['version']}, mirror {version}"
        assert expected in entry["hashes"], f"{root}: no {expected} in {entry['hashes']}"


def test_market_roots_and_the_template_share_one_lock() -> None:
    """make new-market copies the template's lock; the committed markets carry the same."""
    template = (TEMPLATE / LOCK).read_text()
    for root in live_roots():
        assert (root / LOCK).read_text() == template, f"{root}: lock differs from the template"


def test_the_suites_inits_leave_the_locks_as_committed(
    workspace: Path,
    emulator_apply: Future[EmulatorDeployment],
    live_plan_job: Future[object],
    bootstrap_plan_job: Future[object],
    market_root_checks_job: Future[object],
) -> None:
    for job in (emulator_apply, live_plan_job, bootstrap_plan_job, market_root_checks_job):
        wait(job)
    for root in all_roots():
        copy = workspace / root.relative_to(REPO)
        assert (copy / ".terraform").is_dir(), f"{copy} was not initialised"
        assert (copy / LOCK).read_bytes() == (root / LOCK).read_bytes(), f"{copy}: lock rewritten"


def test_init_refuses_a_provider_that_does_not_match_the_lock(
    terraform: Terraform, tmp_path: Path
) -> None:
    """The read-only init the suite uses stops on a wrong hash or a missing lock instead of
    recording what it found (so a tampered mirror or package fails the tests)."""
    shutil.copytree(MODULES, tmp_path / "modules")
    root = tmp_path / "bootstrap"
    shutil.copytree(INFRA / "bootstrap", root)
    entry_hash = lock_entry(root)["hashes"][0]
    (root / LOCK).write_text((root / LOCK).read_text().replace(entry_hash, "h1:" + "A" * 43 + "="))
    tampered = terraform.run(root, *INIT_LOCKED, "-backend=false", check=False)
    assert tampered.returncode != 0
    assert "doesn't match any of the checksums" in " ".join(tampered.stderr.split())
    (root / LOCK).unlink()
    shutil.rmtree(root / ".terraform", ignore_errors=True)
    missing = terraform.run(root, *INIT_LOCKED, "-backend=false", check=False)
    assert missing.returncode != 0
    assert not (root / LOCK).exists()
