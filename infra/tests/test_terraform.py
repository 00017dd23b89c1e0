"""terraform fmt / init (offline, provider from the local mirror) / validate for every root, and
a plan of a full market root against the moto server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import INFRA, LIVE, LOCAL_BACKEND_OVERRIDE, MOTO_ROOT, Terraform, live_roots

ROOTS = [*live_roots(), MOTO_ROOT]


def test_fmt_check(terraform: Terraform) -> None:
    proc = terraform.run(INFRA, "fmt", "-check", "-recursive", "-diff", ".", check=False)
    assert proc.returncode == 0, f"terraform fmt would change:\n{proc.stdout}"


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: str(p.relative_to(INFRA)))
def test_init_and_validate(terraform: Terraform, workspace: Path, root: Path) -> None:
    copy = workspace / root.relative_to(INFRA.parent)
    terraform.run(copy, "init", "-backend=false", "-input=false", "-no-color")
    proc = terraform.run(copy, "validate", "-json", "-no-color", check=False)
    report = json.loads(proc.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
    assert report["error_count"] == 0


def test_plan_rejects_a_bad_market(terraform: Terraform, tmp_path: Path) -> None:
    """The validations are live: a root with an invalid market code does not plan."""
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__")
    shutil.copytree(INFRA, copy / "infra", ignore=ignore)
    shutil.copytree(INFRA.parent / "ci", copy / "ci", ignore=ignore)
    root = copy / "infra/live/mx/staging"
    (root / "zz_local_backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE)
    terraform.run(root, "init", "-input=false", "-no-color")
    proc = terraform.run(
        root,
        "plan",
        "-input=false",
        "-no-color",
        "-refresh=false",
        "-var",
        "market=mexico",
        "-var",
        "aws_endpoint_url=http://127.0.0.1:9",
        check=False,
    )
    assert proc.returncode != 0
    assert "two-letter" in proc.stderr, proc.stderr[-2000:]


def test_full_market_root_plans_against_moto(
    terraform: Terraform, tmp_path: Path, moto_endpoint: str
) -> None:
    """The whole mx/staging root (RDS, proxy, CodeBuild, CodePipeline included) plans against the
    emulator: providers, endpoints, data sources and every module wire up."""
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__")
    shutil.copytree(INFRA, copy / "infra", ignore=ignore)
    shutil.copytree(INFRA.parent / "ci", copy / "ci", ignore=ignore)
    root = copy / "infra/live/mx/staging"
    (root / "zz_local_backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE)
    terraform.run(root, "init", "-input=false", "-no-color")
    terraform.run(
        root,
        "plan",
        "-input=false",
        "-no-color",
        "-out=tfplan",
        "-var",
        f"aws_endpoint_url={moto_endpoint}",
        "-var",
        "aws_region=us-east-1",
        "-var",
        'availability_zones=["us-east-1a","us-east-1b"]',
        timeout=300,
    )
    shown = json.loads(terraform.run(root, "show", "-json", "tfplan").stdout)
    types = {c["type"] for c in shown["resource_changes"] if c["change"]["actions"] == ["create"]}
    expected = {
        "aws_db_instance",
        "aws_db_proxy",
        "aws_lambda_function",
        "aws_lambda_alias",
        "aws_api_gateway_stage",
        "aws_api_gateway_usage_plan",
        "aws_codedeploy_deployment_group",
        "aws_glue_job",
        "aws_glue_trigger",
        "aws_sfn_state_machine",
        "aws_codepipeline",
        "aws_codebuild_project",
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_dashboard",
        "aws_sns_topic",
        "aws_s3_bucket",
        "aws_ecr_repository",
        "aws_kms_key",
        "aws_wafv2_web_acl",
    }
    assert expected <= types, f"missing from the plan: {expected - types}"
    assert not [c for c in shown["resource_changes"] if "delete" in c["change"]["actions"]]
    assert str(LIVE)  # roots are discovered from infra/live
