"""terraform fmt, init (offline, provider from the local mirror) + validate of every root, and
the validations of the platform's inputs at plan time. The Terraform runs are background jobs
(conftest.py) started with the session."""

from __future__ import annotations

import json
import re
from concurrent.futures import Future
from pathlib import Path

import pytest

from .conftest import BOOTSTRAP, INFRA, LIVE, MOTO_ROOT, Terraform, all_roots
from .jobs import BAD_WHEELS, EmulatorDeployment, wait


def test_fmt_check(terraform: Terraform) -> None:
    proc = terraform.run(INFRA, "fmt", "-check", "-recursive", "-diff", ".", check=False)
    assert proc.returncode == 0, f"terraform fmt would change:\n{proc.stdout}"


@pytest.mark.parametrize("root", all_roots(), ids=lambda p: str(p.relative_to(INFRA)))
def test_init_and_validate(
    root: Path,
    market_root_checks_job: Future[dict[Path, dict[str, object]]],
    emulator_apply: Future[EmulatorDeployment],
    live_plan_job: Future[object],
    bootstrap_plan_job: Future[object],
) -> None:
    if root == MOTO_ROOT:
        wait(emulator_apply)  # its job runs init + validate before the apply
    elif root == LIVE / "mx/staging":
        wait(live_plan_job)
    elif root == BOOTSTRAP:
        wait(bootstrap_plan_job)
    else:
        report = wait(market_root_checks_job)[root]
        assert report["valid"], json.dumps(report["diagnostics"], indent=2)
        assert report["error_count"] == 0


@pytest.mark.parametrize("group", list(BAD_WHEELS))
def test_plan_rejects_bad_python_wheels(group: str, bad_wheels_job: Future[dict[str, str]]) -> None:
    """feature_pipeline.python_wheels accepts only distinct s3://<artifacts>/glue/...whl URIs (a
    wheel elsewhere is one the job role cannot read)."""
    stderr = wait(bad_wheels_job)[group]
    by_module = {}
    for block in stderr.split("Error: ")[1:]:
        module = re.search(r'in module "(\w+)"', block)
        if module:
            by_module[module.group(1)] = " ".join(re.sub(r"[│╷╵├─]", " ", block).split())
    for name, (_, message) in BAD_WHEELS[group].items():
        assert name in by_module, f"{name} was accepted:\n{stderr[-3000:]}"
        assert message in by_module[name], by_module[name]
