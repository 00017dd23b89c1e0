"""The operators' path to the private registry, checked in the plan of a real market root.

What cannot run here (an SSM session, an EC2 host, RDS IAM tokens) is checked as the plan of
infra/live/mx/staging says it will be built: a host with no inbound rule and no public address,
the SSM endpoints it needs without a NAT, the proxy admitting it, and an operator policy that
allows port forwarding (no shell) and connecting as `mlflow` and `monitoring` - nothing more.
The client side (`platform-status registry-ui --db-auth iam --via 127.0.0.1`) is tested in
scripts/platform-status against a TLS PostgreSQL.
"""

from __future__ import annotations

import copy
import json
from concurrent.futures import Future
from typing import Any

import pytest

from . import wiring
from .jobs import LivePlan, wait

MODULE = "module.platform.module.registry_access."
DOCUMENT = "document/AWS-StartPortForwardingSessionToRemoteHost"
SHELL = "document/SSM-SessionManagerRunShell"


@pytest.fixture(scope="module")
def planned(live_plan_job: Future[LivePlan]) -> dict[str, dict[str, Any]]:
    return wiring.resources_from_plan(wait(live_plan_job).plan)


def _one(resources: dict[str, dict[str, Any]], address: str) -> dict[str, Any]:
    assert address in resources, f"{address} is not in the plan"
    return resources[address]


def access_findings(resources: dict[str, dict[str, Any]]) -> list[str]:
    """What is wrong with the registry access path in a planned deployment (empty: nothing)."""
    findings = []
    host = _one(resources, MODULE + "aws_instance.this[0]")
    group = _one(resources, MODULE + "aws_security_group.this")
    if host["associate_public_ip_address"] is not False:
        findings.append("the host may get a public address")
    if host["metadata_options"][0]["http_tokens"] != "required":
        findings.append("the host's metadata service accepts IMDSv1")
    if group.get("ingress"):
        findings.append("the host's security group has inbound rules")
    group_id = group["id"]
    for address, rule in resources.items():
        if (
            ".aws_vpc_security_group_ingress_rule." in address
            and rule.get("security_group_id") == group_id
        ):
            findings.append(f"inbound rule on the host: {address}")
    proxy_admits_host = any(
        ".module.feature_store.aws_vpc_security_group_ingress_rule.proxy_from_clients" in address
        and rule.get("referenced_security_group_id") == group_id
        for address, rule in resources.items()
    )
    if not proxy_admits_host:
        findings.append("the RDS Proxy does not admit the host")
    endpoints = {
        str(v.get("service_name", "")).rsplit(".", 1)[-1]
        for address, v in resources.items()
        if ".aws_vpc_endpoint." in address and v.get("vpc_endpoint_type") == "Interface"
    }
    findings += [
        f"no {s} interface endpoint"
        for s in ("ssm", "ssmmessages", "ec2messages")
        if s not in endpoints
    ]

    attachments = [
        v["policy_arn"]
        for address, v in resources.items()
        if address.startswith(MODULE + "aws_iam_role_policy_attachment.")
    ]
    if not any(arn.endswith(":policy/AmazonSSMManagedInstanceCore") for arn in attachments):
        findings.append("the host's role cannot register with Systems Manager")

    policy = _as_evaluated(_one(resources, MODULE + "aws_iam_policy.operator")["policy"])
    region, account = _region_account(resources)
    host_name = _one(resources, MODULE + "aws_instance.this[0]")["tags"]["Name"]
    instance = f"arn:aws:ec2:{region}:{account}:instance/i-0123456789abcdef0"
    checked = {"ssm:SessionDocumentAccessCheck": "true"}
    on_host = {**checked, "ssm:resourceTag/Name": host_name}
    on_other = {**checked, "ssm:resourceTag/Name": "some-other-instance"}
    if not wiring.allows(
        [policy], "ssm:StartSession", f"arn:aws:ssm:{region}::{DOCUMENT}", checked
    ):
        findings.append("operators may not start a port-forwarding session")
    if wiring.allows([policy], "ssm:StartSession", f"arn:aws:ssm:{region}::{SHELL}", checked):
        findings.append("operators may start a shell")
    if not wiring.allows([policy], "ssm:StartSession", instance, on_host):
        findings.append("operators may not start a session on the host")
    if wiring.allows([policy], "ssm:StartSession", instance, on_other):
        findings.append("operators may start a session on another instance")
    proxy = _one(resources, "module.platform.module.feature_store.aws_db_proxy.this")
    proxy_resource_id = str(proxy["arn"]).rsplit(":", 1)[-1]

    def db_user(role: str) -> str:
        return f"arn:aws:rds-db:{region}:{account}:dbuser:{proxy_resource_id}/{role}"

    for role in ("mlflow", "monitoring"):
        if not wiring.allows([policy], "rds-db:connect", db_user(role)):
            findings.append(f"operators may not connect as {role}")
    for role in ("feature_pipeline", "inference"):
        if wiring.allows([policy], "rds-db:connect", db_user(role)):
            findings.append(f"operators may connect as {role}")
    return findings


def _region_account(resources: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(region, account) of the deployment, from the platform key's ARN."""
    key = _one(resources, "module.platform.module.kms.aws_kms_key.this")["arn"]
    _, _, _, region, account, _ = str(key).split(":", 5)
    return region, account


def _as_evaluated(policy_json: str) -> dict[str, Any]:
    """The policy for wiring.allows, which models Bool but not BoolIfExists: with the key
    present in the request context (as the tests give it) the two are the same."""
    policy: dict[str, Any] = json.loads(policy_json.replace('"BoolIfExists"', '"Bool"'))
    return policy


def test_operators_reach_the_registry_by_port_forwarding_only(
    planned: dict[str, dict[str, Any]],
) -> None:
    assert access_findings(planned) == []


@pytest.mark.parametrize(
    ("mutate", "finding"),
    [
        (
            lambda r: r[MODULE + "aws_instance.this[0]"].update(associate_public_ip_address=True),
            "the host may get a public address",
        ),
        (
            lambda r: r[MODULE + "aws_iam_policy.operator"].update(
                policy=r[MODULE + "aws_iam_policy.operator"]["policy"].replace(
                    "AWS-StartPortForwardingSessionToRemoteHost", "*"
                )
            ),
            "operators may start a shell",
        ),
        (
            lambda r: r[MODULE + "aws_iam_policy.operator"].update(
                policy=r[MODULE + "aws_iam_policy.operator"]["policy"].replace(
                    "/mlflow", "/inference"
                )
            ),
            "operators may not connect as mlflow",
        ),
    ],
)
def test_the_check_names_a_broken_path(
    planned: dict[str, dict[str, Any]], mutate: Any, finding: str
) -> None:
    broken = copy.deepcopy(planned)
    mutate(broken)
    assert finding in access_findings(broken)
