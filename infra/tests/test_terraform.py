"""terraform fmt / init (offline, provider from the local mirror) / validate for every root, and
a plan of a full market root against the moto server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import (
    INFRA,
    LIVE,
    LOCAL_BACKEND_OVERRIDE,
    MODULES,
    MOTO_ROOT,
    Terraform,
    copy_for_terraform,
    live_roots,
)

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
    copy = copy_for_terraform(tmp_path / "repo")
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


# One module call per bad value. Terraform checks the rules that read only python_wheels in its
# validate walk and stops there, so the rules that compare with artifacts_bucket_name (checked
# while planning) get a root of their own.
_BAD_WHEELS = {
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


@pytest.mark.parametrize("group", list(_BAD_WHEELS))
def test_plan_rejects_bad_python_wheels(terraform: Terraform, tmp_path: Path, group: str) -> None:
    """feature_pipeline.python_wheels accepts only distinct s3://<artifacts>/glue/...whl URIs (a
    wheel elsewhere is one the job role cannot read)."""
    cases = _BAD_WHEELS[group]
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
        '  store_secret_arn      = "arn:aws:secretsmanager:us-east-1:111111111111:secret:s"\n'
        '  store_host            = "store"\n'
        '  store_database        = "features"\n'
        f"  python_wheels         = {value}\n}}\n"
        for name, (value, _) in cases.items()
    )
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        'provider "aws" {\n  region = "us-east-1"\n  access_key = "x"\n  secret_key = "x"\n'
        "  skip_credentials_validation = true\n  skip_requesting_account_id = true\n"
        "  skip_metadata_api_check = true\n  max_retries = 1\n"
        '  endpoints {\n    sts = "http://127.0.0.1:9"\n  }\n}\n' + calls
    )
    terraform.run(tmp_path, "init", "-input=false", "-no-color")
    proc = terraform.run(
        tmp_path, "plan", "-input=false", "-no-color", "-refresh=false", check=False
    )
    assert proc.returncode != 0
    by_module = {}
    for block in proc.stderr.split("Error: ")[1:]:
        module = re.search(r'in module "(\w+)"', block)
        if module:
            by_module[module.group(1)] = " ".join(re.sub(r"[│╷╵├─]", " ", block).split())
    for name, (_, message) in cases.items():
        assert name in by_module, f"{name} was accepted:\n{proc.stderr[-3000:]}"
        assert message in by_module[name], by_module[name]


def test_full_market_root_plans_against_moto(
    terraform: Terraform, tmp_path: Path, moto_endpoint: str
) -> None:
    """The whole mx/staging root (RDS, proxy, CodeBuild, CodePipeline included) plans against the
    emulator: providers, endpoints, data sources and every module wire up."""
    copy = copy_for_terraform(tmp_path / "repo")
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
    # The Glue job's arguments are unknown until apply here (bucket ids, the RDS address); their
    # values, and python_wheels' validations, are checked by the apply in test_terraform_moto
    # (moto_root wires the manifest the same way, test_glue_wheels checks that it does).
    job = next(c for c in shown["resource_changes"] if c["type"] == "aws_glue_job")
    assert job["change"]["after_unknown"].get("default_arguments") is True
    assert str(LIVE)  # roots are discovered from infra/live
