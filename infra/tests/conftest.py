"""Shared helpers of the infra suite: repository paths, the offline Terraform setup, tool lookup.

Tools that may be missing on a developer machine (terraform + the aws provider mirror, the
checkov venv, the ASL validator) make the tests that need them SKIP with a loud reason, and FAIL
when CI=true, because CI machines are set up with all of them (`make setup`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MODULES = INFRA / "modules"
LIVE = INFRA / "live"
CI_DIR = REPO / "ci"
MOTO_ROOT = INFRA / "tests" / "moto_root"
BOOTSTRAP = INFRA / "bootstrap"
TEMPLATE = INFRA / "templates" / "market-root"
GLUE_DIR = REPO / "feature-pipeline" / "glue"

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"
# `init` of a committed root: the provider must match the root's committed .terraform.lock.hcl
# (version and hash), and init fails rather than rewrite it.
INIT_LOCKED = ("init", "-lockfile=readonly", "-input=false", "-no-color")
DEFAULT_PLUGIN_MIRROR = "/opt/tf-plugins"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def tool_missing(reason: str) -> None:
    """Skip (developer machine) or fail (CI) because a required tool is not installed."""
    message = f"TOOL MISSING — {reason}"
    if in_ci():
        pytest.fail(message + " (CI=true: CI machines must have it; run `make setup`)")
    pytest.skip(message)


def module_dirs() -> list[Path]:
    return sorted(p for p in MODULES.iterdir() if p.is_dir())


def live_roots() -> list[Path]:
    return sorted(p.parent for p in LIVE.glob("*/*/backend.tf"))


def all_roots() -> list[Path]:
    """Every root Terraform is run in: the market roots, the emulator root, the bootstrap root."""
    return [*live_roots(), MOTO_ROOT, BOOTSTRAP]


def tf_files() -> list[Path]:
    return sorted(p for p in INFRA.rglob("*.tf") if ".terraform" not in p.parts)


@dataclass(frozen=True)
class Terraform:
    binary: str
    env: dict[str, str]

    def run(
        self, cwd: Path, *args: str, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"terraform {' '.join(args)} failed in {cwd} (exit {proc.returncode}):\n"
                f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
        return proc


def write_terraform_rc(config: Path, mirror: Path) -> Path:
    """A CLI config installing hashicorp/aws from the filesystem mirror only (no registry)."""
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        f'    include = ["{PROVIDER_ADDRESS}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{PROVIDER_ADDRESS}"]\n  }}\n'
        "}\n"
    )
    return config


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """terraform with a CLI config that installs hashicorp/aws only from the local mirror."""
    binary = os.environ.get("TERRAFORM_BIN") or shutil.which("terraform")
    if not binary:
        tool_missing("no `terraform` binary on PATH (or TERRAFORM_BIN)")
    mirror = Path(os.environ.get("TF_PLUGIN_MIRROR", DEFAULT_PLUGIN_MIRROR))
    providers = list((mirror / PROVIDER_ADDRESS).glob("*/linux_amd64/terraform-provider-aws*"))
    if not providers:
        tool_missing(
            f"no hashicorp/aws provider in the filesystem mirror {mirror} "
            "(set TF_PLUGIN_MIRROR to a mirror directory)"
        )
    config = write_terraform_rc(tmp_path_factory.mktemp("terraform-cli") / "terraform.rc", mirror)
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    env.pop("TF_DATA_DIR", None)
    return Terraform(binary=str(binary), env=env)


# What the roots read besides infra/: ci/ (the training buildspec) and feature-pipeline/glue/
# (the manifest of the Glue job's dependency wheels).
ROOT_INPUTS = (INFRA, CI_DIR, GLUE_DIR)


def copy_for_terraform(dest: Path) -> Path:
    """Copy infra/ and what the roots read into dest (same layout); returns dest."""
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__", "*.tfplan")
    for source in ROOT_INPUTS:
        shutil.copytree(source, dest / source.relative_to(REPO), ignore=ignore)
    return dest


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of infra/ (and what the roots read) so that init/plan/apply never write into the
    repository."""
    return copy_for_terraform(tmp_path_factory.mktemp("workspace"))


# What applying a market root needs from an external emulator (boto3 names): the tests that
# apply one skip without them (`aws_services`; on LocalStack, rds, glue, ecr, codedeploy, wafv2
# and IAM enforcement are paid-tier, see README "Tests on LocalStack").
MARKET_SERVICES = (
    "s3", "iam", "sts", "kms", "ec2", "lambda", "apigateway", "wafv2", "secretsmanager", "rds",
    "glue", "ecr", "codedeploy", "sns", "cloudwatch", "logs", "events", "stepfunctions", "firehose",
)  # fmt: skip

LOCAL_BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'
EMULATOR_OVERRIDE = "emulator_override.tf"


def emulator_override(
    endpoint: str, service_endpoints: dict[str, str] | None = None, *, omit: bool = False
) -> str:
    """The emulator override of a market root (infra/README.md, "Emulator override"): local
    state, every service at `endpoint`; with `omit`, also what moto cannot apply (for `apply`;
    a `plan` needs nothing left out)."""
    text = LOCAL_BACKEND_OVERRIDE + (
        f'\nvariable "aws_endpoint_url" {{\n  default = "{endpoint}"\n}}\n'
    )
    if service_endpoints:
        pairs = ", ".join(f'{k} = "{v}"' for k, v in sorted(service_endpoints.items()))
        text += f'\nvariable "aws_service_endpoints" {{\n  default = {{ {pairs} }}\n}}\n'
    if omit:
        text += (
            '\nmodule "platform" {\n  emulator = {\n    omit_database_instance = true\n'
            "    omit_build_projects    = true\n    short_recovery         = true\n  }\n}\n"
        )
    return text


# The background Terraform jobs (session fixtures) live in jobs.py; importing them here registers
# them for every test module. Imported last: jobs.py uses the helpers above.
from .jobs import (  # noqa: E402
    BACKGROUND_FIXTURES,
    _start_background_jobs,
    api_redeploy_job,
    background,
    bad_wheels_job,
    bootstrap_plan_job,
    checkov_job,
    emulator_apply,
    emulator_deployment,
    live_plan_job,
    market_root_checks_job,
    new_market_job,
    sfn_endpoint,
)

__all__ = [
    "_start_background_jobs",
    "api_redeploy_job",
    "background",
    "bad_wheels_job",
    "bootstrap_plan_job",
    "checkov_job",
    "emulator_apply",
    "emulator_deployment",
    "live_plan_job",
    "market_root_checks_job",
    "new_market_job",
    "sfn_endpoint",
]


# Jobs whose results come after the emulator apply, most of the session's first minutes.
AFTER_THE_APPLY = {"emulator_apply", "emulator_deployment", "live_plan_job", "api_redeploy_job"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules that need no background job run first, then those waiting for a quick job, then
    those waiting for the apply: in file order, test_alarms sat idle on the apply for minutes
    and every quick test ran only after it. Whole modules move, in file order among themselves,
    so module fixtures are still set up once."""

    def rank(item: pytest.Item) -> int:
        names = set(getattr(item, "fixturenames", ()))
        if names & AFTER_THE_APPLY:
            return 2
        return 1 if names & set(BACKGROUND_FIXTURES) else 0

    module_rank: dict[Path, int] = {}
    for item in items:
        module_rank[item.path] = max(module_rank.get(item.path, 0), rank(item))
    items.sort(key=lambda item: module_rank[item.path])
