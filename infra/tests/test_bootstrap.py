"""infra/bootstrap: the one-off account set-up, planned against moto and read from the plan:
a versioned, KMS-encrypted, TLS-only, access-logged state bucket named as the market roots'
backend.tf expects, and a deploy role only the account's CI infra builds and the named
administrators can assume."""

from __future__ import annotations

import json
from concurrent.futures import Future
from typing import Any

import pytest

from .jobs import MOTO_ACCOUNT, wait


@pytest.fixture(scope="module")
def planned(bootstrap_plan_job: Future[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    plan = wait(bootstrap_plan_job)
    return {c["address"]: c["change"] for c in plan["resource_changes"]}


def _after(planned: dict[str, dict[str, Any]], address: str) -> dict[str, Any]:
    change = planned[address]
    assert change["actions"] == ["create"], address
    return change["after"]  # type: ignore[no-any-return]


def test_state_bucket_matches_the_market_backend(planned: dict[str, dict[str, Any]]) -> None:
    bucket = _after(planned, "module.state_bucket.aws_s3_bucket.this")
    assert bucket["bucket"] == "credit-risk-tfstate-co-staging"
    assert bucket["force_destroy"] is False
    versioning = _after(planned, "module.state_bucket.aws_s3_bucket_versioning.this")
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"
    encryption = planned[
        "module.state_bucket.aws_s3_bucket_server_side_encryption_configuration.this"
    ]
    rule = encryption["after"]["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert rule["sse_algorithm"] == "aws:kms"
    assert encryption["after_unknown"]["rule"][0]["apply_server_side_encryption_by_default"][0][
        "kms_master_key_id"
    ], "encrypted with the bootstrap key (created in the same plan)"
    block = _after(planned, "module.state_bucket.aws_s3_bucket_public_access_block.this")
    assert all(
        block[k]
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    logging = planned["module.state_bucket.aws_s3_bucket_logging.this"]
    assert logging["after"]["target_prefix"] == "s3/tfstate/"
    assert "module.access_logs.aws_s3_bucket.this" in planned
    assert "module.state_bucket.aws_s3_bucket_policy.this" in planned  # TLS-only (s3_bucket module)
    key = _after(planned, "aws_kms_key.state")
    assert key["enable_key_rotation"] is True


def test_no_lock_table(planned: dict[str, dict[str, Any]]) -> None:
    """The market roots lock with S3 (use_lockfile); a DynamoDB table would be unused."""
    assert not [a for a in planned if "dynamodb" in a]


def test_deploy_role_trust(planned: dict[str, dict[str, Any]]) -> None:
    role = _after(planned, "aws_iam_role.deploy")
    assert role["name"] == "credit-risk-terraform-deploy"
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{MOTO_ACCOUNT}:root"}
    assert sorted(statement["Condition"]["ArnLike"]["aws:PrincipalArn"]) == [
        f"arn:aws:iam::{MOTO_ACCOUNT}:role/credit-risk-co-staging-ci-infra",
        f"arn:aws:iam::{MOTO_ACCOUNT}:role/platform-admin",
    ]


def test_deploy_role_manages_only_the_platforms_iam(planned: dict[str, dict[str, Any]]) -> None:
    policy = json.loads(_after(planned, "aws_iam_role_policy.deploy")["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    iam = by_sid["ManagePlatformRolesAndPolicies"]
    assert iam["Action"] == "iam:*"
    assert all(r.split(":")[-1].split("/", 1)[1] == "credit-risk-*" for r in iam["Resource"])
    services = by_sid["ManagePlatformServices"]["Action"]
    assert "iam:*" not in services
    assert not [s for s in policy["Statement"] if s.get("Action") == "secretsmanager:*"]


def test_source_connection_is_created_pending(planned: dict[str, dict[str, Any]]) -> None:
    connection = _after(planned, "aws_codestarconnections_connection.source[0]")
    assert connection["provider_type"] == "GitHub"
