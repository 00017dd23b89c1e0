"""A market as `make new-market` scaffolds it and Terraform applies it to the AWS emulator.

One apply per test module (about a minute and a half on 2 shared cores): `new_market.py co
sa-east-1` (what `make new-market MARKET=co REGION=sa-east-1` runs) into a copy of infra/, the
emulator override infra/README.md documents (local state, every service at the emulator, and
the three things moto cannot apply left out: the RDS instance, the CodeBuild projects and
CodePipeline, recovery windows), then `terraform apply` of co/staging as the admin identity.

IAM is enforced for the whole module on the kit's moto (``platform_testkit.iam.enforced_iam``):
set-up and Terraform act as an admin user, every component runs with the credentials of
``sts:AssumeRole`` on the role Terraform made for it (:meth:`Market.credentials`). With
``TEST_AWS_ENDPOINT_URL`` (an emulator started elsewhere) the kit's moto-only calls (reset,
enforcement switch) are skipped: the emulator is swept through its public APIs, an admin user is
created through IAM, and whether policies are enforced is the emulator's own setting.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from platform_testkit import aws
from platform_testkit.iam import AwsCredentials, IamEnforcement, enforced_iam, external_identity

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from infra.tests import sfn_shim  # noqa: E402
from infra.tests.conftest import (  # noqa: E402
    DEFAULT_PLUGIN_MIRROR,
    MARKET_SERVICES,
    PROVIDER_ADDRESS,
    copy_for_terraform,
    emulator_override,
    write_terraform_rc,
)

MARKET = "co"
REGION = "sa-east-1"
# Services whose roles are assumed by an AWS service, as each component's trust policy names it.
GLUE = "glue.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"
CODEBUILD = "codebuild.amazonaws.com"
CODEDEPLOY = "codedeploy.amazonaws.com"
FIREHOSE = "firehose.amazonaws.com"
STATES = "states.amazonaws.com"


def terraform_env(workdir: Path) -> dict[str, str]:
    """Environment for terraform: the hashicorp/aws provider from the local mirror only."""
    mirror = Path(os.environ.get("TF_PLUGIN_MIRROR", DEFAULT_PLUGIN_MIRROR))
    binary = os.environ.get("TERRAFORM_BIN") or shutil.which("terraform")
    providers = list((mirror / PROVIDER_ADDRESS).glob("*/linux_amd64/terraform-provider-aws*"))
    if not binary or not providers:
        message = f"terraform and the hashicorp/aws provider mirror ({mirror}) are required"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    config = write_terraform_rc(workdir / "terraform.rc", mirror)
    return {
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TERRAFORM_BIN": str(binary),
    }


def terraform(root: Path, tf_env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run terraform as the current (admin) identity; its failure fails the test."""
    proc = subprocess.run(
        [tf_env["TERRAFORM_BIN"], *args],
        cwd=root,
        env={**os.environ, **tf_env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"terraform {' '.join(args[:1])} failed in {root}:\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc.stdout


def scaffold(live_dir: Path) -> tuple[Path, Path]:
    """`make new-market MARKET=co REGION=sa-east-1`, into a copy of infra/live."""
    proc = subprocess.run(
        [sys.executable, str(live_dir.parent / "scripts/new_market.py"), MARKET, REGION,
         "--live-dir", str(live_dir)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.fail(f"new_market.py failed:\n{proc.stdout}\n{proc.stderr}")
    return live_dir / MARKET / "staging", live_dir / MARKET / "prod"


@dataclass
class Market:
    """The applied co/staging root and the identities to act in it."""

    root: Path
    identity: IamEnforcement
    endpoint: str
    enforced: bool
    outputs: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    tf_env: dict[str, str]
    prod: Market | None = None  # co/prod, applied beside staging to the same emulator
    _credentials: dict[tuple[str, str | None], AwsCredentials] = field(default_factory=dict)

    def output(self, name: str) -> Any:
        return self.outputs[name]

    def resource(self, address: str) -> dict[str, Any]:
        """`values` of one resource of the applied state (module.platform.module.X.type.name)."""
        return self.resources[f"module.platform.{address}"]

    def role(self, component: str) -> str:
        return str(self.outputs["component_roles"][component]["name"])

    def credentials(self, role: str, service: str | None) -> AwsCredentials:
        """sts:AssumeRole on `role` (a component key of component_roles, or a role name) as
        `service` would (its trust policy must name the service)."""
        name = self.outputs["component_roles"].get(role, {}).get("name", role)
        key = (name, service)
        if key not in self._credentials:
            self._credentials[key] = self.identity.assume_role(name, service=service)
        return self._credentials[key]

    def env_as(self, role: str, service: str | None) -> dict[str, str]:
        """Process environment of a component running as `role`: its credentials, the market's
        region, the emulator endpoint (what the service's runtime would give it)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({k: v for k, v in self.credentials(role, service).env().items() if v})
        env.update(
            {
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        return env

    def client(self, service: str, credentials: AwsCredentials | None = None) -> Any:
        creds = credentials or self.identity.admin
        return creds.session(REGION).client(service, endpoint_url=self.endpoint)


def _state_resources(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    return {r["address"]: r["values"] for r in walk(state["values"]["root_module"])}


def release_uri(account_id: str) -> str:
    """Where staging publishes the release it passed and prod's pipeline reads it from
    (docs/operations.md, launching a market, step "Prod"): here staging's artifacts bucket."""
    return f"s3://credit-risk-{MARKET}-staging-artifacts-{account_id}/releases/{MARKET}/release.zip"


def release_object(account_id: str) -> str:
    bucket, _, key = release_uri(account_id)[len("s3://") :].partition("/")
    return f'{{ bucket = "{bucket}", key = "{key}" }}'


def _operator_settings(root: Path, account_id: str, release_setting: str) -> None:
    """What the scaffold's next steps ask the operator to fill in: the bootstrap outputs'
    account (placeholders), and the release object linking staging to prod."""
    tfvars = root / "terraform.tfvars"
    text = tfvars.read_text().replace(":000000000000:", f":{account_id}:")
    head, found, tail = text.partition("delivery = {\n")
    assert found, f"{tfvars} has no delivery block"
    text = f"{head}{found}  {release_setting} = {release_object(account_id)}\n{tail}"
    # moto has no PutProvisionedConcurrencyConfig (infra/README.md, what the emulator cannot
    # apply); prod's warm pool is a capacity setting the release flow never reads.
    text = re.sub(r"(?m)^(\s*provisioned_concurrency\s*=\s*)\d+", r"\g<1>0", text)
    tfvars.write_text(text)


def _apply(root: Path, tf_env: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    terraform(root, tf_env, "init", "-input=false", "-no-color")
    terraform(
        root, tf_env, "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=30",
    )  # fmt: skip
    outputs = {
        k: v["value"] for k, v in json.loads(terraform(root, tf_env, "output", "-json")).items()
    }
    return outputs, _state_resources(json.loads(terraform(root, tf_env, "show", "-json")))


@contextmanager
def applied_market(workdir: Path, endpoint: str, external: bool) -> Iterator[Market]:
    """Scaffold co, apply co/staging and co/prod (side by side, names never collide) to the
    emulator with IAM enforced (kit's moto)."""
    identity_cm = external_identity(endpoint) if external else enforced_iam(endpoint)
    with identity_cm as identity, sfn_shim.running_shim(endpoint) as sfn_endpoint:
        copy = copy_for_terraform(workdir / "repo")
        staging, prod = scaffold(copy / "infra/live")
        for root, release_setting in ((staging, "release_publish"), (prod, "release_source")):
            _operator_settings(root, identity.account_id, release_setting)
            (root / "emulator_override.tf").write_text(
                emulator_override(
                    endpoint, {"sfn": sfn_endpoint, "apigateway": sfn_endpoint}, omit=True
                )
            )
        tf_env = terraform_env(workdir)
        with ThreadPoolExecutor(max_workers=2) as pool:
            applies = {root: pool.submit(_apply, root, tf_env) for root in (staging, prod)}
            (outputs, resources), (prod_outputs, prod_resources) = (
                applies[staging].result(),
                applies[prod].result(),
            )

        def market(root: Path, outputs: dict[str, Any], resources: dict[str, Any]) -> Market:
            return Market(root, identity, endpoint, not external, outputs, resources, tf_env)

        applied = market(staging, outputs, resources)
        applied.prod = market(prod, prod_outputs, prod_resources)
        yield applied


__all__ = ["MARKET_SERVICES", "Market", "applied_market", "aws"]
