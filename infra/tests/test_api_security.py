"""Issue 16: only the market's API consumers get through (SigV4 + resource policy), every API
change reaches the live stage, the WAF limits consumers by their plans, the S3 endpoint reaches
only the platform's buckets, the prediction log's retention comes from tfvars. Checked on the
plan of infra/live/mx/staging, on the emulator root as applied to moto (and read back with boto3),
on the HCL, and on broken copies that prove each check can fail (api_access.py)."""

from __future__ import annotations

import copy
import json
import re
import shutil
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import boto3
import pytest

from . import wiring
from .api_access import api_access_findings, invoke_allowed, waf_findings
from .conftest import LIVE, MODULES, MOTO_ROOT
from .jobs import EMULATOR_REGION, EmulatorDeployment, LivePlan, wait
from .test_hcl_conventions import blocks, parse, resources

INFERENCE = MODULES / "inference"
PLATFORM = MODULES / "platform"
STAGING = LIVE / "mx/staging"
# The WAF's evaluation window and the consumer limit factor (inference module defaults).
WAF_WINDOW_SECONDS = 300
WAF_LIMIT_FACTOR = 2


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=EMULATOR_REGION)  # type: ignore[call-overload]


def principals(consumers: dict[str, Any]) -> set[str]:
    return {arn for consumer in consumers.values() for arn in consumer["principal_arns"]}


@pytest.fixture(scope="module")
def live_plan(live_plan_job: Future[LivePlan]) -> dict[str, Any]:
    return wait(live_plan_job).plan


@pytest.fixture(scope="module")
def planned(live_plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return wiring.resources_from_plan(live_plan)


@pytest.fixture(scope="module")
def applied(emulator_deployment: EmulatorDeployment) -> dict[str, dict[str, Any]]:
    return wiring.resources_from_state(emulator_deployment.state)


def emulator_consumers() -> dict[str, Any]:
    module = blocks(MOTO_ROOT / "main.tf", "module")["platform"]
    return module["api_consumers"]  # type: ignore[no-any-return]


# -- only consumers get through ------------------------------------------------------------------


def test_live_plan_lets_only_signed_consumers_in(
    live_plan: dict[str, Any], planned: dict[str, dict[str, Any]]
) -> None:
    consumers = live_plan["variables"]["api_consumers"]["value"]
    assert consumers == parse(STAGING / "terraform.tfvars")["api_consumers"]
    assert api_access_findings(planned, principals(consumers)) == []


def test_applied_api_lets_only_signed_consumers_in(
    applied: dict[str, dict[str, Any]], emulator_deployment: EmulatorDeployment
) -> None:
    consumers = emulator_consumers()
    assert api_access_findings(applied, principals(consumers)) == []
    # And what moto stored, read back as AWS would serve it.
    apigw = client("apigateway", emulator_deployment.endpoint)
    api_id = emulator_deployment.outputs["rest_api_id"]
    items = apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]
    methods = [m for item in items for m in item.get("resourceMethods", {}).values()]
    assert methods
    assert {m["authorizationType"] for m in methods} == {"AWS_IAM"}
    policy = json.loads(apigw.get_rest_api(restApiId=api_id)["policy"])
    allow = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    allowed = {arn for s in allow for arn in wiring._listed(s["Principal"]["AWS"])}
    assert allowed == principals(consumers)


def _method_address(resources_: dict[str, dict[str, Any]]) -> str:
    [address] = [a for a in resources_ if a.endswith("aws_api_gateway_method.proxy")]
    return address


def _policy_address(resources_: dict[str, dict[str, Any]]) -> str:
    [address] = [a for a in resources_ if a.endswith("aws_api_gateway_rest_api_policy.this")]
    return address


def test_the_access_check_bites(applied: dict[str, dict[str, Any]]) -> None:
    """Copies of the applied state with the method open, the Deny dropped, or the Allow on
    every principal: each is reported, by what gets through."""
    consumers = principals(emulator_consumers())
    method, policy_address = _method_address(applied), _policy_address(applied)

    open_method = copy.deepcopy(applied)
    open_method[method]["authorization"] = "NONE"
    assert any("authorization NONE" in f for f in api_access_findings(open_method, consumers))

    def with_policy(edit: Any) -> dict[str, dict[str, Any]]:
        broken = copy.deepcopy(applied)
        document = json.loads(broken[policy_address]["policy"])
        document["Statement"] = edit(document["Statement"])
        broken[policy_address]["policy"] = json.dumps(document)
        return broken

    no_deny = with_policy(lambda ss: [s for s in ss if s["Effect"] != "Deny"])
    assert any("some-other-workload" in f for f in api_access_findings(no_deny, consumers))

    def allow_everyone(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**s, "Principal": "*"} for s in statements if s["Effect"] == "Allow"]

    everyone = with_policy(allow_everyone)
    assert any("some-other-workload" in f for f in api_access_findings(everyone, consumers))


def test_the_evaluator_follows_the_documented_table() -> None:
    """API Gateway's table for IAM auth + resource policy: same account = policy OR identity,
    other account = policy AND identity, explicit Deny wins, unsigned never."""
    api = "arn:aws:execute-api:mx-central-1:111111111111:abc/v1/POST/predict"
    mine, theirs = "arn:aws:iam::111111111111:role/a", "arn:aws:iam::222222222222:role/b"
    allow_both = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": [mine, theirs]},
                "Action": "execute-api:Invoke",
                "Resource": "arn:aws:execute-api:*",
            }
        ]
    }
    empty: dict[str, Any] = {"Statement": []}
    assert invoke_allowed("AWS_IAM", empty, mine, api, identity_allows=True)
    assert not invoke_allowed("AWS_IAM", empty, theirs, api, identity_allows=True)
    assert invoke_allowed("AWS_IAM", allow_both, mine, api, identity_allows=False)
    assert not invoke_allowed("AWS_IAM", allow_both, theirs, api, identity_allows=False)
    assert invoke_allowed("AWS_IAM", allow_both, theirs, api, identity_allows=True)
    assert not invoke_allowed("AWS_IAM", allow_both, None, api, identity_allows=True)
    deny = {"Effect": "Deny", "Principal": "*", "Action": "execute-api:*", "Resource": "*"}
    both_and_deny = {"Statement": [*allow_both["Statement"], deny]}
    assert not invoke_allowed("AWS_IAM", both_and_deny, mine, api, identity_allows=True)


# -- every API change reaches the stage ----------------------------------------------------------

API_PARTS = {
    "aws_api_gateway_resource",
    "aws_api_gateway_method",
    "aws_api_gateway_method_response",
    "aws_api_gateway_integration",
    "aws_api_gateway_integration_response",
    "aws_api_gateway_authorizer",
    "aws_api_gateway_gateway_response",
    "aws_api_gateway_request_validator",
    "aws_api_gateway_model",
    "aws_api_gateway_rest_api_policy",
}


def check_api_parts(module: Path) -> None:
    """Every API part the module declares is in local.api_definition, which the deployment's
    trigger hashes as whole objects (not ids, which an in-place change keeps)."""
    api_tf = (module / "api.tf").read_text()
    definition = re.search(r"api_parts = \{(.*?)\n  \}", api_tf, re.S)
    assert definition is not None
    parts = {(rtype, name) for rtype, name, _ in resources(module) if rtype in API_PARTS}
    assert ("aws_api_gateway_method", "proxy") in parts
    for rtype, name in sorted(parts):
        reference = f"{rtype}.{name}"
        assert re.search(rf"=\s*{re.escape(reference)}(\n|$)", definition.group(1)), (
            f"{rtype}.{name} is not in local.api_parts as a whole object: changing it would "
            "not redeploy"
        )
        assert not re.search(rf"{re.escape(rtype)}\.{name}\.id\b", definition.group(1))
    [deployment] = [b for t, _, b in resources(module) if t == "aws_api_gateway_deployment"]
    assert deployment["triggers"] == {"redeployment": "${sha1(jsonencode(local.api_definition))}"}


def test_the_deployment_hashes_every_part_of_the_api() -> None:
    check_api_parts(INFERENCE)


def test_the_api_parts_check_bites(tmp_path: Path) -> None:
    """A copy of the module whose resource policy is left out of the hash is reported."""
    module = tmp_path / "inference"
    shutil.copytree(INFERENCE, module)
    api_tf = module / "api.tf"
    text = api_tf.read_text()
    line = "    policy       = aws_api_gateway_rest_api_policy.this\n"
    assert line in text
    api_tf.write_text(text.replace(line, ""))
    with pytest.raises(AssertionError, match=r"aws_api_gateway_rest_api_policy\.this is not in"):
        check_api_parts(module)


def test_changing_authorization_integration_or_policy_redeploys(
    api_redeploy_job: Future[dict[str, list[str]]],
) -> None:
    """Plans of the applied emulator root with one change each (jobs.API_EDITS): the stage gets a
    new deployment for each, and none when nothing changed."""
    actions = wait(api_redeploy_job)
    assert actions["unchanged"] == ["no-op"]
    for edit in ("authorization", "integration", "resource_policy"):
        assert sorted(actions[edit]) == ["create", "delete"], f"{edit}: {actions[edit]}"


# -- WAF -------------------------------------------------------------------------------------------


def _web_acl(deployment: EmulatorDeployment) -> dict[str, Any]:
    wafv2 = client("wafv2", deployment.endpoint)
    name = deployment.outputs["function_name"]
    [summary] = [a for a in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == name]
    return wafv2.get_web_acl(Name=name, Scope="REGIONAL", Id=summary["Id"])["WebACL"]  # type: ignore[no-any-return]


def _applied_consumers(deployment: EmulatorDeployment) -> dict[str, tuple[str, float]]:
    """name -> (its API key's value, its usage plan's rate), as API Gateway holds them."""
    apigw = client("apigateway", deployment.endpoint)
    rate_by_key: dict[str, float] = {}
    for plan in apigw.get_usage_plans()["items"]:
        for key in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]:
            rate_by_key[key["id"]] = float(plan["throttle"]["rateLimit"])
    found = {}
    for name, key_id in deployment.outputs["api_key_ids"].items():
        value = apigw.get_api_key(apiKey=key_id, includeValue=True)["value"]
        found[name] = (value, rate_by_key[key_id])
    return found


def test_waf_limits_each_consumer_by_its_plan_not_by_its_address(
    emulator_deployment: EmulatorDeployment,
) -> None:
    acl = _web_acl(emulator_deployment)
    consumers = _applied_consumers(emulator_deployment)
    assert set(consumers) == set(emulator_consumers())
    assert waf_findings(acl["Rules"], consumers, WAF_WINDOW_SECONDS, WAF_LIMIT_FACTOR) == []


def test_waf_counts_requests_without_user_agent_instead_of_blocking(
    emulator_deployment: EmulatorDeployment,
) -> None:
    rules = {r["Name"]: r for r in _web_acl(emulator_deployment)["Rules"]}
    common = rules["aws-common"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["Name"] == "AWSManagedRulesCommonRuleSet"
    assert common["RuleActionOverrides"] == [
        {"Name": "NoUserAgent_HEADER", "ActionToUse": {"Count": {}}}
    ]
    assert rules["aws-common"]["OverrideAction"] == {"None": {}}


def test_the_waf_check_bites(emulator_deployment: EmulatorDeployment) -> None:
    """The old rule (one per-IP limit for everyone), a per-IP rule that also counts consumers,
    and a limit not sized from the plan are each reported."""
    rules = _web_acl(emulator_deployment)["Rules"]
    consumers = _applied_consumers(emulator_deployment)
    [name] = consumers

    old = [
        r
        for r in rules
        if "RateBasedStatement" not in r["Statement"] and "identify-" not in r["Name"]
    ]
    old.append(
        {
            "Name": "per-ip-rate-limit",
            "Priority": 30,
            "Action": {"Block": {}},
            "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
        }
    )
    assert any(
        "limited per IP address" in f
        for f in waf_findings(old, consumers, WAF_WINDOW_SECONDS, WAF_LIMIT_FACTOR)
    )

    unscoped = copy.deepcopy(rules)
    for rule in unscoped:
        if rule["Name"] == "rate-limit-unidentified-per-ip":
            del rule["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    assert any(
        f"{name}: counted by" in f
        for f in waf_findings(unscoped, consumers, WAF_WINDOW_SECONDS, WAF_LIMIT_FACTOR)
    )

    key, rate = consumers[name]
    doubled = {name: (key, rate * 2)}
    assert any(
        "expected" in f for f in waf_findings(rules, doubled, WAF_WINDOW_SECONDS, WAF_LIMIT_FACTOR)
    )


# -- S3 gateway endpoint -------------------------------------------------------------------------

IN_VPC_COMPONENTS = ("feature-pipeline", "inference", "monitoring", "training", "db-bootstrap")


def endpoint_findings(
    policy: dict[str, Any], buckets: list[str], account: str, region: str
) -> list[str]:
    """What the S3 gateway endpoint lets through, against what it must and must not."""
    findings = []
    own = {"aws:PrincipalAccount": account}
    foreign = {"aws:PrincipalAccount": "999999999999"}
    for bucket in buckets:
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
            if not wiring.allows([policy], action, f"arn:aws:s3:::{bucket}/k", own):
                findings.append(f"refuses {action} on {bucket}")
            if wiring.allows([policy], action, f"arn:aws:s3:::{bucket}/k", foreign):
                findings.append(f"lets another account's credentials {action} on {bucket}")
        if not wiring.allows([policy], "s3:ListBucket", f"arn:aws:s3:::{bucket}", own):
            findings.append(f"refuses s3:ListBucket on {bucket}")
    for action in ("s3:GetObject", "s3:PutObject"):
        if wiring.allows([policy], action, "arn:aws:s3:::somebody-elses-bucket/k", own):
            findings.append(f"allows {action} on a bucket outside the platform")
    layers = f"arn:aws:s3:::prod-{region}-starport-layer-bucket/layer"
    if not wiring.allows([policy], "s3:GetObject", layers, {}):
        findings.append("refuses ECR image layers (builds in the VPC cannot pull)")
    if wiring.allows([policy], "s3:PutObject", layers, own):
        findings.append("allows writing to ECR's layer bucket")
    return findings


def _s3_endpoint(deployment: EmulatorDeployment) -> dict[str, Any]:
    state = wiring.resources_from_state(deployment.state)
    [endpoint] = [v for a, v in state.items() if a.endswith("module.network.aws_vpc_endpoint.s3")]
    ec2 = client("ec2", deployment.endpoint)
    [stored] = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint["id"]])["VpcEndpoints"]
    return stored  # type: ignore[no-any-return]


def test_s3_endpoint_reaches_only_the_platform_buckets(
    emulator_deployment: EmulatorDeployment,
) -> None:
    stored = _s3_endpoint(emulator_deployment)
    policy = json.loads(stored["PolicyDocument"])
    account = emulator_deployment.state["values"]["outputs"]["kms_key_arn"]["value"].split(":")[4]
    buckets = sorted(emulator_deployment.outputs["bucket_names"].values())
    assert endpoint_findings(policy, buckets, account, EMULATOR_REGION) == []


def test_s3_endpoint_allows_what_the_components_in_the_vpc_are_granted(
    emulator_deployment: EmulatorDeployment,
) -> None:
    """Every S3 grant of a role whose component runs in the VPC passes the endpoint, so the
    boundary breaks no component (resources with wildcards are tried with a sample key)."""
    policy = json.loads(_s3_endpoint(emulator_deployment)["PolicyDocument"])
    account = emulator_deployment.outputs["kms_key_arn"].split(":")[4]
    iam = client("iam", emulator_deployment.endpoint)
    roles = emulator_deployment.outputs["component_roles"]
    checked, refused = 0, []
    for component in IN_VPC_COMPONENTS:
        role = roles[component]["name"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            document = json.loads(document) if isinstance(document, str) else document
            for statement in wiring._listed(document["Statement"]):
                if statement["Effect"] != "Allow":
                    continue
                for action in wiring._listed(statement.get("Action")):
                    if not action.startswith("s3:"):
                        continue
                    for resource in wiring._listed(statement.get("Resource")):
                        sample = resource.replace("*", "sample")
                        checked += 1
                        if not wiring.allows(
                            [policy], action, sample, {"aws:PrincipalAccount": account}
                        ):
                            refused.append(f"{component}: {action} on {sample}")
    assert checked >= 10, "too few S3 grants found to check"
    assert refused == []


def test_the_endpoint_check_bites() -> None:
    open_policy = {
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]
    }
    findings = endpoint_findings(open_policy, ["b"], "123456789012", "mx-central-1")
    assert "allows s3:PutObject on a bucket outside the platform" in findings
    assert "lets another account's credentials s3:GetObject on b" in findings
    no_layers = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            }
        ]
    }
    findings = endpoint_findings(no_layers, ["b"], "123456789012", "mx-central-1")
    assert "refuses ECR image layers (builds in the VPC cannot pull)" in findings


# -- prediction log retention --------------------------------------------------------------------


def _platform_default(setting: str) -> int:
    declared = blocks(PLATFORM / "variables.tf", "variable")["prediction_log_retention"]["type"]
    match = re.search(rf"{setting}\s*=\s*optional\(number,\s*(\d+)\)", declared)
    assert match is not None, declared
    return int(match.group(1))


def test_prediction_log_retention_comes_from_tfvars(
    planned: dict[str, dict[str, Any]],
) -> None:
    """mx/staging sets values other than the platform's defaults, and the plan carries them to
    the function's log group (CloudWatch) and to the predictions/ expiry (S3)."""
    wanted = parse(STAGING / "terraform.tfvars")["prediction_log_retention"]
    assert wanted["cloudwatch_days"] != _platform_default("cloudwatch_days")
    assert wanted["s3_days"] != _platform_default("s3_days")
    [group] = [
        v
        for a, v in planned.items()
        if a.endswith("module.inference.aws_cloudwatch_log_group.function")
    ]
    assert group["name"] == "/aws/lambda/credit-risk-mx-staging-inference"
    assert group["retention_in_days"] == wanted["cloudwatch_days"]
    [lifecycle] = [
        v
        for a, v in planned.items()
        if 'module.data_lake.module.bucket["features"]' in a
        and a.endswith("aws_s3_bucket_lifecycle_configuration.this")
    ]
    expiring = {
        f["prefix"]: rule["expiration"][0]["days"]
        for rule in lifecycle["rule"]
        for f in rule.get("filter") or []
        if rule.get("expiration") and f.get("prefix")
    }
    assert expiring["predictions/"] == wanted["s3_days"]
