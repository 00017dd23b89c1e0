"""A deployed market on the moto server: an image Lambda with version 1 live and its alarms.

Mirrors what `infra/modules/inference` and `infra/modules/monitoring` create: the function from
an ECR image (`publish = true`, so terraform publishes version 1, with no model version recorded),
alias `live` on it, the alarms that gate deployments (`deployment_alarm_names`) and a model-health
alarm that must not gate them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

FUNCTION_NAME = "credit-risk-mx-staging-inference"
ALIAS = "live"
ALARM_PREFIX = "credit-risk-mx-staging-"
# infra/modules/monitoring output `deployment_alarm_names`.
ALARM_NAMES = [
    f"{ALARM_PREFIX}api-5xx-rate",
    f"{ALARM_PREFIX}api-p99-latency",
    f"{ALARM_PREFIX}inference-errors",
]
# One of `model_alarm_names`: pages the team, but an old model is no reason to block a new one.
MODEL_ALARM = f"{ALARM_PREFIX}model-staleness"
REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk-inference"
IMAGE_V1 = f"{REPOSITORY}:bootstrap"
IMAGE_V2 = f"{REPOSITORY}:model-2"
IMAGE_V3 = f"{REPOSITORY}:model-3"
TERRAFORM_ALIAS_DESCRIPTION = "Version serving production traffic"


@dataclass(frozen=True)
class Market:
    """Handles on the emulated market; tests read AWS directly to check what the tool did."""

    function_name: str
    alias: str
    alarm_prefix: str
    alarm_names: list[str]
    lambda_client: Any
    cloudwatch: Any

    def alias_routing(self) -> tuple[str, dict[str, float]]:
        alias = self.lambda_client.get_alias(FunctionName=self.function_name, Name=self.alias)
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        return alias["FunctionVersion"], dict(weights)

    def alias_description(self) -> dict[str, Any]:
        alias = self.lambda_client.get_alias(FunctionName=self.function_name, Name=self.alias)
        description: dict[str, Any] = json.loads(alias["Description"])
        return description

    def published_versions(self) -> list[str]:
        versions = self.lambda_client.list_versions_by_function(FunctionName=self.function_name)
        return sorted(
            (v["Version"] for v in versions["Versions"] if v["Version"] != "$LATEST"), key=int
        )

    def version_environment(self, version: str) -> dict[str, str]:
        config = self.lambda_client.get_function_configuration(
            FunctionName=self.function_name, Qualifier=version
        )
        variables: dict[str, str] = config["Environment"]["Variables"]
        return variables

    def set_alarm(self, name: str, state: str) -> None:
        self.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")

    def cli_options(self) -> list[str]:
        options = ["--function-name", self.function_name]
        for name in self.alarm_names:
            options += ["--alarm-name", name]
        return options


@functools.cache
def _session() -> boto3.session.Session:
    # Building clients from one session reuses the parsed API models (much faster per test).
    return boto3.session.Session()


def create_market(function_name: str = FUNCTION_NAME) -> Market:
    iam = _session().client("iam")
    lambda_client = _session().client("lambda")
    cloudwatch = _session().client("cloudwatch")
    role_arn = iam.create_role(
        RoleName=f"{function_name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    lambda_client.create_function(
        FunctionName=function_name,
        Role=role_arn,
        PackageType="Image",
        Code={"ImageUri": IMAGE_V1},
        Environment={
            "Variables": {"FEATURE_STORE_URL": "postgresql://store/db", "LOG_LEVEL": "INFO"}
        },
        Tags={"market": "mx", "environment": "staging"},
    )
    lambda_client.publish_version(FunctionName=function_name)
    lambda_client.create_alias(
        FunctionName=function_name,
        Name=ALIAS,
        FunctionVersion="1",
        Description=TERRAFORM_ALIAS_DESCRIPTION,
    )
    for name in [*ALARM_NAMES, MODEL_ALARM]:
        # New alarms start as OK in moto (INSUFFICIENT_DATA in AWS, which does not gate either).
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
    cloudwatch.set_alarm_state(AlarmName=MODEL_ALARM, StateValue="ALARM", StateReason="45 days")
    return Market(
        function_name=function_name,
        alias=ALIAS,
        alarm_prefix=ALARM_PREFIX,
        alarm_names=list(ALARM_NAMES),
        lambda_client=lambda_client,
        cloudwatch=cloudwatch,
    )


@pytest.fixture
def market(aws_reset: str, monkeypatch: pytest.MonkeyPatch) -> Market:
    # Operators' shells may carry RELEASE_* settings; tests start from none.
    for name in (
        "RELEASE_FUNCTION_NAME",
        "RELEASE_ALIAS",
        "RELEASE_ALARM_NAMES",
        "RELEASE_ALARM_PREFIX",
        "RELEASE_ACTOR",
    ):
        monkeypatch.delenv(name, raising=False)
    return create_market()
