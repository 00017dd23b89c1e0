"""Background Terraform jobs, as session fixtures (registered by conftest.py).

The slow Terraform runs (the emulator apply, plans, inits) start together when the session
starts and run while the quick tests do; a test that needs a result waits for it. Each job works
in its own copy of a root, so no two Terraform processes share a working directory, and every
job has finished before the moto server stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .conftest import (
    INFRA,
    INIT_LOCKED,
    LIVE,
    LOCAL_BACKEND_OVERRIDE,
    MODULES,
    REPO,
    Terraform,
    copy_for_terraform,
    emulator_override,
    live_roots,
    tool_missing,
)

T = TypeVar("T")
# Session fixtures holding a Future; started as soon as any collected test needs them.
BACKGROUND_FIXTURES = (
    "emulator_apply",
    "api_redeploy_job",
    "live_plan_job",
    "market_root_checks_job",
    "new_market_job",
    "bootstrap_plan_job",
    "bad_wheels_job",
    "checkov_job",
)


@pytest.fixture(scope="session")
def background() -> Iterator[ThreadPoolExecutor]:
    # Two of the jobs spend most of their time waiting for the apply, not running.
    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="terraform-job") as pool:
        yield pool


def wait(future: Future[T]) -> T:
    """The result of a background job (its failure fails the waiting test)."""
    return future.result(timeout=900)


def settle(future: Future[Any]) -> None:
    """At teardown: let a job finish (its error was or will be reported by a test)."""
    # Its error, if any, is reported by the tests that used the job.
    with contextlib.suppress(BaseException):
        future.result(timeout=900)


@pytest.fixture(scope="session", autouse=True)
def _start_background_jobs(request: pytest.FixtureRequest) -> None:
    needed: set[str] = set()
    for item in request.session.items:
        needed.update(getattr(item, "fixturenames", ()))
    for name in BACKGROUND_FIXTURES:
        if name in needed:
            request.getfixturevalue(name)


@dataclass(frozen=True)
class EmulatorDeployment:
    """The emulator root applied to the moto server."""

    root: Path
    endpoint: str
    region: str
    outputs: dict[str, Any]
    state: dict[str, Any]


# The emulator root is applied in the market's own region (moto serves it), so a plan of
# infra/live/mx/staging can be made against its state.
EMULATOR_REGION = "mx-central-1"
# moto 5.2 creates these but has no Delete API for them (NotImplementedError): they are dropped
# from the state before `terraform destroy` and die with the moto session instead.
UNDELETABLE_IN_MOTO = (
    "module.platform.module.feature_pipeline.aws_glue_connection.this",
    "module.platform.module.inference.aws_codedeploy_deployment_group.this",
    "module.platform.module.inference.aws_codedeploy_app.this",
)


@pytest.fixture(scope="session")
def sfn_endpoint(moto_endpoint: str) -> Iterator[str]:
    """moto behind the Step Functions shim (tests/sfn_shim.py), for the provider's sfn endpoint."""
    from . import sfn_shim

    with sfn_shim.running_shim(moto_endpoint) as endpoint:
        yield endpoint


def emulator_variables(moto_endpoint: str, sfn_endpoint: str) -> list[str]:
    """`-var` arguments pointing tests/moto_root at the emulator (Step Functions and API
    Gateway through the shim)."""
    return [
        "-var",
        f"aws_endpoint_url={moto_endpoint}",
        "-var",
        f'aws_service_endpoints={{sfn="{sfn_endpoint}", apigateway="{sfn_endpoint}"}}',
        "-var",
        f"aws_region={EMULATOR_REGION}",
    ]


@pytest.fixture(scope="session")
def emulator_apply(
    terraform: Terraform,
    workspace: Path,
    moto_endpoint: str,
    sfn_endpoint: str,
    background: ThreadPoolExecutor,
) -> Iterator[Future[EmulatorDeployment]]:
    """Apply tests/moto_root once per session (in the background); destroy it at the end and
    check that nothing is left."""
    root = workspace / "infra/tests/moto_root"
    variables = emulator_variables(moto_endpoint, sfn_endpoint)

    def apply() -> EmulatorDeployment:
        (root / "zz_local_backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE)
        terraform.run(root, *INIT_LOCKED)
        terraform.run(root, "validate", "-no-color")
        terraform.run(
            root,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=30",
            *variables,
            timeout=600,
        )
        outputs = {
            k: v["value"]
            for k, v in json.loads(terraform.run(root, "output", "-json").stdout).items()
        }
        state = json.loads(terraform.run(root, "show", "-json").stdout)
        return EmulatorDeployment(root, moto_endpoint, EMULATOR_REGION, outputs, state)

    future = background.submit(apply)
    yield future
    try:
        deployment = future.result(timeout=900)
    except BaseException:
        return
    terraform.run(root, "state", "rm", *UNDELETABLE_IN_MOTO)
    terraform.run(
        root,
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=30",
        *variables,
        timeout=600,
    )
    left = terraform.run(root, "state", "list", check=False).stdout.strip()
    assert left == "", f"resources left in state after destroy:\n{left}"
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name=EMULATOR_REGION)
    remaining = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert not remaining & set(deployment.outputs["bucket_names"].values())


@pytest.fixture(scope="session")
def emulator_deployment(emulator_apply: Future[EmulatorDeployment]) -> EmulatorDeployment:
    return wait(emulator_apply)


def run_in_background(background: ThreadPoolExecutor, job: Callable[[], T]) -> Iterator[Future[T]]:
    """Helper of the background fixtures: submit, yield, let it settle at teardown."""
    future = background.submit(job)
    yield future
    settle(future)


# -- API redeployment ---------------------------------------------------------------------------

API_DEPLOYMENT = "module.platform.module.inference.aws_api_gateway_deployment.this"
# Changes to the emulator root that must reach the live stage (a new deployment), and none.
# Each is (file under the repository, text, replacement).
API_EDITS: dict[str, tuple[str, str, str] | None] = {
    "unchanged": None,
    "authorization": (
        "infra/modules/inference/api.tf",
        'authorization        = "AWS_IAM"',
        'authorization        = "NONE"',
    ),
    "integration": (
        "infra/modules/inference/api.tf",
        "uri = aws_lambda_alias.this.invoke_arn",
        "uri = aws_lambda_function.this.invoke_arn",
    ),
    "resource_policy": (
        "infra/tests/moto_root/main.tf",
        "role/loan-origination-staging",
        "role/another-consumer",
    ),
}


@pytest.fixture(scope="session")
def api_redeploy_job(
    terraform: Terraform,
    tmp_path_factory: pytest.TempPathFactory,
    moto_endpoint: str,
    sfn_endpoint: str,
    emulator_apply: Future[EmulatorDeployment],
    background: ThreadPoolExecutor,
) -> Iterator[Future[dict[str, list[str]]]]:
    """Plan each API_EDITS change of the emulator root on top of its applied state (no refresh,
    only the API deployment and what it depends on); edit -> the deployment's planned actions.

    Each edit has its own copy, initialised while the apply runs, and the plans run together
    once its state is there: one after the other, they made the longest tail of the suite."""

    def edited_copy(name: str) -> Path:
        copy = copy_for_terraform(tmp_path_factory.mktemp(f"api-redeploy-{name}"))
        edit = API_EDITS[name]
        if edit is not None:
            path, old, new = copy / edit[0], edit[1], edit[2]
            original = path.read_text()
            assert original.count(old) == 1, f"{name}: {old!r} is not in {edit[0]} once"
            path.write_text(original.replace(old, new))
        root = copy / "infra/tests/moto_root"
        (root / "zz_local_backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE)
        terraform.run(root, *INIT_LOCKED)
        return root

    def deployment_actions(root: Path, state: Path) -> list[str]:
        shutil.copyfile(state, root / "terraform.tfstate")
        terraform.run(
            root,
            "plan",
            "-input=false",
            "-no-color",
            "-refresh=false",
            f"-target={API_DEPLOYMENT}",
            "-out=tfplan",
            *emulator_variables(moto_endpoint, sfn_endpoint),
        )
        plan = json.loads(terraform.run(root, "show", "-json", "tfplan").stdout)
        [change] = [c for c in plan["resource_changes"] if c["address"] == API_DEPLOYMENT]
        return change["change"]["actions"]  # type: ignore[no-any-return]

    def job() -> dict[str, list[str]]:
        roots = {name: edited_copy(name) for name in API_EDITS}
        state = wait(emulator_apply).root / "terraform.tfstate"
        with ThreadPoolExecutor(max_workers=len(roots)) as plans:
            actions = {
                name: plans.submit(deployment_actions, root, state) for name, root in roots.items()
            }
            return {name: future.result() for name, future in actions.items()}

    yield from run_in_background(background, job)


# -- market roots ---------------------------------------------------------------------------------

# Roots validated by other jobs: the emulator root by its apply, mx/staging by the live plan, the
# bootstrap root by its plan.
LIVE_PLAN_ROOT = LIVE / "mx/staging"


@pytest.fixture(scope="session")
def market_root_checks_job(
    terraform: Terraform, workspace: Path, background: ThreadPoolExecutor
) -> Iterator[Future[dict[Path, dict[str, Any]]]]:
    """init -backend=false + validate -json of every market root but mx/staging."""

    def job() -> dict[Path, dict[str, Any]]:
        reports = {}
        for root in live_roots():
            if root == LIVE_PLAN_ROOT:
                continue
            copy = workspace / root.relative_to(INFRA.parent)
            terraform.run(copy, *INIT_LOCKED, "-backend=false")
            proc = terraform.run(copy, "validate", "-json", "-no-color", check=False)
            reports[root] = json.loads(proc.stdout)
        return reports

    yield from run_in_background(background, job)


@dataclass(frozen=True)
class LivePlan:
    """`terraform show -json` of a plan of infra/live/mx/staging against the emulator's state."""

    root: Path
    plan: dict[str, Any]


@pytest.fixture(scope="session")
def live_plan_job(
    terraform: Terraform,
    workspace: Path,
    moto_endpoint: str,
    sfn_endpoint: str,
    emulator_apply: Future[EmulatorDeployment],
    background: ThreadPoolExecutor,
) -> Iterator[Future[LivePlan]]:
    """Plan the real mx/staging root (emulator override: local state, moto endpoint; nothing
    left out) on top of the applied emulator root's state: same module addresses, so the plan
    shows what the live settings add (the RDS instance, CodeBuild, CodePipeline, ...) and every
    other value is known, as in a plan against a deployed market."""
    root = workspace / LIVE_PLAN_ROOT.relative_to(INFRA.parent)

    def job() -> LivePlan:
        (root / "emulator_override.tf").write_text(
            emulator_override(moto_endpoint, {"sfn": sfn_endpoint, "apigateway": sfn_endpoint})
        )
        terraform.run(root, *INIT_LOCKED)
        terraform.run(root, "validate", "-no-color")
        deployment = wait(emulator_apply)
        shutil.copyfile(deployment.root / "terraform.tfstate", root / "terraform.tfstate")
        terraform.run(root, "plan", "-input=false", "-no-color", "-out=tfplan", timeout=600)
        plan = json.loads(terraform.run(root, "show", "-json", "tfplan").stdout)
        return LivePlan(root, plan)

    yield from run_in_background(background, job)


# -- a new market, scaffolded ----------------------------------------------------------------------

NEW_MARKET = ("co", "sa-east-1")


def load_new_market() -> Any:
    """infra/scripts/new_market.py as a module (it is a script, not part of a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("new_market", INFRA / "scripts/new_market.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MOTO_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class NewMarket:
    live_dir: Path
    created: list[Path]
    validate: dict[str, dict[str, Any]]
    staging_plan: dict[str, Any]
    refused_plan_stderr: str


@pytest.fixture(scope="session")
def new_market_job(
    terraform: Terraform,
    tmp_path_factory: pytest.TempPathFactory,
    moto_endpoint: str,
    background: ThreadPoolExecutor,
) -> Iterator[Future[NewMarket]]:
    """`new_market.py co sa-east-1` into a copy of the repository; both roots init + validate;
    co/staging plans against moto once the placeholders are replaced as the next steps say;
    co/prod with the placeholders and a bad market code does not."""
    new_market = load_new_market()

    def job() -> NewMarket:
        copy = copy_for_terraform(tmp_path_factory.mktemp("new-market"))
        live_dir = copy / "infra/live"
        market, region = NEW_MARKET
        created = new_market.scaffold(market, region, live_dir)
        validate = {}
        for root in created:
            (root / "emulator_override.tf").write_text(emulator_override(moto_endpoint))
            terraform.run(root, *INIT_LOCKED)
            proc = terraform.run(root, "validate", "-json", "-no-color", check=False)
            validate[root.name] = json.loads(proc.stdout)
        staging, prod = created
        tfvars = staging / "terraform.tfvars"
        tfvars.write_text(tfvars.read_text().replace(":000000000000:", f":{MOTO_ACCOUNT}:"))
        terraform.run(staging, "plan", "-input=false", "-no-color", "-out=tfplan", timeout=600)
        plan = json.loads(terraform.run(staging, "show", "-json", "tfplan").stdout)
        refused = terraform.run(
            prod,
            "plan",
            "-input=false",
            "-no-color",
            "-refresh=false",
            "-var",
            'market="mexico"',
            check=False,
        )
        assert refused.returncode != 0, "co/prod planned with placeholders and market=mexico"
        return NewMarket(live_dir, created, validate, plan, refused.stderr)

    yield from run_in_background(background, job)


# -- the bootstrap root -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bootstrap_plan_job(
    terraform: Terraform,
    workspace: Path,
    moto_endpoint: str,
    background: ThreadPoolExecutor,
) -> Iterator[Future[dict[str, Any]]]:
    """init + validate + plan of infra/bootstrap against moto; `terraform show -json`."""
    root = workspace / "infra/bootstrap"

    def job() -> dict[str, Any]:
        terraform.run(root, *INIT_LOCKED)
        terraform.run(root, "validate", "-no-color")
        terraform.run(
            root,
            "plan",
            "-input=false",
            "-no-color",
            "-out=tfplan",
            "-var",
            "market=co",
            "-var",
            "environment=staging",
            "-var",
            "aws_region=sa-east-1",
            "-var",
            f"aws_endpoint_url={moto_endpoint}",
            "-var",
            f'administrator_role_arns=["arn:aws:iam::{MOTO_ACCOUNT}:role/platform-admin"]',
        )
        return json.loads(terraform.run(root, "show", "-json", "tfplan").stdout)  # type: ignore[no-any-return]

    yield from run_in_background(background, job)


# -- bad python_wheels values ------------------------------------------------------------------

# One module call per bad value. Terraform checks the rules that read only python_wheels in its
# validate walk and stops there, so the rules that compare with artifacts_bucket_name (checked
# while planning) get a root of their own.
BAD_WHEELS = {
    "self-contained rules": {
        "not_a_wheel": ('["s3://artifacts/glue/a-1.0.tar.gz"]', "list of s3://bucket/key.whl URIs"),
        "empty": ("[]", "non-empty list of s3://bucket/key.whl"),
        "comma": ('["s3://artifacts/glue/a-1.0-py3-none-any.whl,b.whl"]', "no commas or spaces"),
        "twice": (
            '["s3://artifacts/glue/x/a-1.0-py3-none-any.whl",'
            ' "s3://artifacts/glue/y/a-1.0-py3-none-any.whl"]',
            "same wheel file twice",
        ),
    },
    "artifacts bucket rule": {
        "other_bucket": (
            '["s3://other/glue/a-1.0-py3-none-any.whl"]',
            "<artifacts_bucket_name>/glue/",
        ),
        "outside_glue": (
            '["s3://artifacts/models/a-1.0-py3-none-any.whl"]',
            "<artifacts_bucket_name>/glue/",
        ),
    },
}


def _bad_wheels_root(directory: Path, cases: dict[str, tuple[str, str]]) -> None:
    calls = "".join(
        f'module "{name}" {{\n'
        f'  source                = "{MODULES / "feature_pipeline"}"\n'
        '  name_prefix           = "credit-risk-mx-test"\n'
        '  kms_key_arn           = "arn:aws:kms:us-east-1:111111111111:key/k"\n'
        '  artifacts_bucket_name = "artifacts"\n'
        '  raw_bucket_name       = "raw"\n'
        '  features_bucket_name  = "features"\n'
        '  vpc_id                = "vpc-1"\n'
        '  vpc_cidr              = "10.0.0.0/16"\n'
        '  subnet_id             = "subnet-1"\n'
        '  availability_zone     = "us-east-1a"\n'
        '  s3_prefix_list_id     = "pl-1"\n'
        '  store_proxy_endpoint  = "proxy"\n'
        '  store_database        = "features"\n'
        "  store_db_user_arn     = "
        '"arn:aws:rds-db:us-east-1:111111111111:dbuser:prx-1/feature_pipeline"\n'
        f"  python_wheels         = {value}\n}}\n"
        for name, (value, _) in cases.items()
    )
    directory.mkdir(parents=True)
    (directory / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        'provider "aws" {\n  region = "us-east-1"\n  access_key = "x"\n  secret_key = "x"\n'
        "  skip_credentials_validation = true\n  skip_requesting_account_id = true\n"
        "  skip_metadata_api_check = true\n  max_retries = 1\n"
        '  endpoints {\n    sts = "http://127.0.0.1:9"\n  }\n}\n' + calls
    )


@pytest.fixture(scope="session")
def bad_wheels_job(
    terraform: Terraform,
    tmp_path_factory: pytest.TempPathFactory,
    background: ThreadPoolExecutor,
) -> Iterator[Future[dict[str, str]]]:
    """Plan one root per group of bad python_wheels values; group -> terraform's stderr."""

    def job() -> dict[str, str]:
        errors = {}
        for index, (group, cases) in enumerate(BAD_WHEELS.items()):
            directory = tmp_path_factory.mktemp("bad-wheels") / f"group{index}"
            _bad_wheels_root(directory, cases)
            terraform.run(directory, "init", "-input=false", "-no-color")
            proc = terraform.run(
                directory, "plan", "-input=false", "-no-color", "-refresh=false", check=False
            )
            assert proc.returncode != 0, f"{group}: the bad values planned"
            errors[group] = proc.stderr
        return errors

    yield from run_in_background(background, job)


# -- checkov ------------------------------------------------------------------------------------

CHECKOV = Path(os.environ.get("CHECKOV_BIN", str(REPO / ".venv-checkov/bin/checkov")))


@pytest.fixture(scope="session")
def checkov_job(
    tmp_path_factory: pytest.TempPathFactory, background: ThreadPoolExecutor
) -> Iterator[Future[dict[str, Any]]]:
    """checkov over infra/ (the repository's, which no job writes into); its terraform report.

    A job like the Terraform ones because it is a long subprocess that needs nothing else: run
    in the foreground, it added its whole run to the suite's wall time."""

    def job() -> dict[str, Any]:
        if not CHECKOV.exists():  # raised again in the waiting test, which skips (or fails in CI)
            tool_missing(f"checkov not found at {CHECKOV}: `make setup` builds .venv-checkov")
        out = tmp_path_factory.mktemp("checkov")
        proc = subprocess.run(
            [
                str(CHECKOV),
                "--directory",
                str(INFRA),
                "--framework",
                "terraform",
                "--compact",
                "--skip-download",
                "--output",
                "json",
                "--output-file-path",
                str(out),
                "--skip-path",
                "\\.terraform",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
            env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
        )
        result_file = out / "results_json.json"
        assert result_file.exists(), (
            f"checkov produced no report:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
        data = json.loads(result_file.read_text())
        reports = data if isinstance(data, list) else [data]
        (terraform,) = [r for r in reports if r["check_type"] == "terraform"]
        return terraform  # type: ignore[no-any-return]

    yield from run_in_background(background, job)
