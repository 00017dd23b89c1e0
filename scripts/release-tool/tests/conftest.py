"""A deployed market on the moto server plus the CodeDeploy stand-in, as Terraform leaves it.

Mirrors `infra/modules/inference`: the function from an ECR image (`publish = true`, so
Terraform publishes version 1 with no model recorded), alias `live` on it, the per-version
canary alarms (pointed at version 1), the pre-traffic hook function, and the CodeDeploy
application and deployment group (canary 10 % / 5 minutes, the canary alarms, automatic
rollback on failure and on alarm). A model-health alarm that fires must not matter.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from codedeploy_standin import CodeDeployStandIn

from release_tool import pre_traffic_hook

FUNCTION_NAME = "credit-risk-mx-staging-inference"
ALIAS = "live"
HOOK_NAME = f"{FUNCTION_NAME}-pre-traffic"
GROUP = f"{FUNCTION_NAME}-live"
PREFIX = "credit-risk-mx-staging-"
# infra/modules/inference canary alarms: Lambda's metric per ExecutedVersion, the service's EMF
# metrics per function_version.
CANARY_ALARMS = [f"{PREFIX}canary-lambda-errors", f"{PREFIX}canary-prediction-errors"]
MODEL_ALARM = f"{PREFIX}model-staleness"
REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk-inference"
IMAGE_V1 = f"{REPOSITORY}:bootstrap"
IMAGE_V2 = f"{REPOSITORY}@sha256:{'2' * 64}"
IMAGE_V3 = f"{REPOSITORY}@sha256:{'3' * 64}"
EVENTS = Path(__file__).with_name("events")
KNOWN_CUSTOMER = "5008832"


def recorded(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return payload


# The model the recorded /version response reports: what tests deploy as "model 2".
MODEL_2 = "2"
SHA_2 = json.loads(recorded("inference_version.json")["body"])["model_sha256"]
MODEL_3 = "3"
SHA_3 = "3" * 64


class RecordedInvoker:
    """Answers the hook's requests with recorded responses of the inference handler.

    ``responses`` maps a path to a recorded payload; ``calls`` lists what was invoked.
    """

    def __init__(self) -> None:
        self.responses = {
            "/ready": recorded("inference_ready.json"),
            "/version": recorded("inference_version.json"),
            "/predict": recorded("inference_predict.json"),
        }
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, function: str, qualifier: str, event: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((function, qualifier, event))
        return self.responses[event["rawPath"]]


@dataclass
class Market:
    """Handles on the emulated market; tests read AWS directly to check what the tool did."""

    function_name: str
    lambda_client: Any
    cloudwatch: Any
    codedeploy: CodeDeployStandIn
    invoker: RecordedInvoker

    def alias_routing(self) -> tuple[str, dict[str, float]]:
        alias = self.lambda_client.get_alias(FunctionName=self.function_name, Name=ALIAS)
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        return alias["FunctionVersion"], dict(weights)

    def published_versions(self) -> list[str]:
        versions = self.lambda_client.list_versions_by_function(FunctionName=self.function_name)
        return sorted(
            (v["Version"] for v in versions["Versions"] if v["Version"] != "$LATEST"), key=int
        )

    def set_alarm(self, name: str, state: str) -> None:
        self.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")

    def alarm_dimensions(self, name: str) -> dict[str, str]:
        (alarm,) = self.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return {d["Name"]: d["Value"] for d in alarm["Dimensions"]}

    def cli_options(self) -> list[str]:
        return ["--function-name", self.function_name]


@functools.cache
def _session() -> boto3.session.Session:
    # Building clients from one session reuses the parsed API models (much faster per test).
    return boto3.session.Session()


def _role(iam: Any, name: str, service: str) -> str:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))[
        "Role"
    ]["Arn"]
    return arn


def _zip(source: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(source, "pre_traffic_hook.py")
    return buffer.getvalue()


def create_functions(lambda_client: Any, iam: Any) -> None:
    role = _role(iam, f"{FUNCTION_NAME}-role", "lambda.amazonaws.com")
    lambda_client.create_function(
        FunctionName=FUNCTION_NAME,
        Role=role,
        PackageType="Image",
        Code={"ImageUri": IMAGE_V1},
        Environment={"Variables": {"FEATURE_STORE_URL": "postgresql://store/db"}},
    )
    lambda_client.publish_version(FunctionName=FUNCTION_NAME)
    lambda_client.create_alias(FunctionName=FUNCTION_NAME, Name=ALIAS, FunctionVersion="1")
    lambda_client.create_function(
        FunctionName=HOOK_NAME,
        Role=role,
        Runtime="python3.11",
        Handler="pre_traffic_hook.handler",
        Code={"ZipFile": _zip(Path(pre_traffic_hook.__file__))},
        Environment={"Variables": {"KNOWN_CUSTOMER_ID": KNOWN_CUSTOMER}},
    )


def create_alarms(cloudwatch: Any) -> None:
    alias_resource = f"{FUNCTION_NAME}:{ALIAS}"
    per_version = {
        CANARY_ALARMS[0]: (
            "AWS/Lambda",
            "Errors",
            {"FunctionName": FUNCTION_NAME, "Resource": alias_resource, "ExecutedVersion": "1"},
        ),
        CANARY_ALARMS[1]: (
            "CreditRisk",
            "PredictionErrors",
            {"service": "inference-service", "function_version": "1"},
        ),
        MODEL_ALARM: ("CreditRisk/Monitoring", "ModelAgeDays", {"market": "mx"}),
    }
    for name, (namespace, metric, dimensions) in per_version.items():
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace=namespace,
            MetricName=metric,
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=0.0,
            ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="notBreaching",
        )
    cloudwatch.set_alarm_state(AlarmName=MODEL_ALARM, StateValue="ALARM", StateReason="95 days")


def create_deployment_group(endpoint: str, alarms: list[str]) -> None:
    codedeploy = _session().client("codedeploy", endpoint_url=endpoint)
    codedeploy.create_application(applicationName=FUNCTION_NAME, computePlatform="Lambda")
    codedeploy.create_deployment_group(
        applicationName=FUNCTION_NAME,
        deploymentGroupName=GROUP,
        deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes",
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentStyle={
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        alarmConfiguration={"enabled": True, "alarms": [{"name": name} for name in alarms]},
        autoRollbackConfiguration={
            "enabled": True,
            "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
        },
    )


@pytest.fixture
def market(aws_reset: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Market]:
    # Operators' shells may carry RELEASE_* settings; tests start from none.
    for name in ("FUNCTION_NAME", "ALIAS", "ACTOR", "PRE_TRAFFIC_HOOK"):
        monkeypatch.delenv(f"RELEASE_{name}", raising=False)
    monkeypatch.delenv("RELEASE_CODEDEPLOY_APPLICATION", raising=False)
    monkeypatch.delenv("RELEASE_CODEDEPLOY_GROUP", raising=False)
    lambda_client = _session().client("lambda")
    cloudwatch = _session().client("cloudwatch")
    create_functions(lambda_client, _session().client("iam"))
    create_alarms(cloudwatch)
    with CodeDeployStandIn(lambda_client, cloudwatch) as stand_in:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CODEDEPLOY", stand_in.endpoint)
        create_deployment_group(stand_in.endpoint, CANARY_ALARMS)
        invoker = RecordedInvoker()
        codedeploy = _session().client("codedeploy", endpoint_url=stand_in.endpoint)

        def hook(event: dict[str, Any], context: Any) -> Any:
            return pre_traffic_hook.run_hook(
                event,
                codedeploy=codedeploy,
                lambda_client=lambda_client,
                invoke=invoker,
                customer_id=KNOWN_CUSTOMER,
                allowed_function=FUNCTION_NAME,
            )

        stand_in.register_hook(HOOK_NAME, hook)
        yield Market(FUNCTION_NAME, lambda_client, cloudwatch, stand_in, invoker)
