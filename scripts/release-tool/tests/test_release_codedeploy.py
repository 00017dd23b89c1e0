"""The tool does not fight the pipeline's CodeDeploy deployment over the `live` alias."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from conftest import IMAGE_V2, Market

from release_tool.cli import TargetOptions, build_release
from release_tool.errors import ConfigurationError, RefusedError
from release_tool.operations import Release

APPLICATION = "credit-risk-mx-staging-inference"
GROUP = "live-canary"


@pytest.fixture
def deployment_group(market: Market) -> Any:
    codedeploy = boto3.client("codedeploy")
    codedeploy.create_application(applicationName=APPLICATION, computePlatform="Lambda")
    codedeploy.create_deployment_group(
        applicationName=APPLICATION,
        deploymentGroupName=GROUP,
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes",
        deploymentStyle={
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
    )
    return codedeploy


def start_codedeploy_deployment(codedeploy: Any) -> str:
    deployment_id: str = codedeploy.create_deployment(
        applicationName=APPLICATION,
        deploymentGroupName=GROUP,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": "{}"}},
    )["deploymentId"]
    return deployment_id


def guarded_release(market: Market) -> Release:
    return build_release(
        TargetOptions(
            function_name=market.function_name,
            alarm_names=market.alarm_names,
            actor="tester",
            codedeploy_application=APPLICATION,
            codedeploy_group=GROUP,
        )
    )


def test_canary_and_promote_are_refused_while_codedeploy_deploys(
    market: Market, deployment_group: Any
) -> None:
    release = guarded_release(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    deployment_id = start_codedeploy_deployment(deployment_group)

    with pytest.raises(RefusedError, match=deployment_id):
        release.canary(50)
    with pytest.raises(RefusedError, match="stop-deployment"):
        release.promote(reason="bake clean")
    assert market.alias_routing() == ("1", {"2": 0.1})
    assert release.status()["codedeploy"]["active_deployments"] == [deployment_id]


def test_rollback_is_never_blocked_by_codedeploy(market: Market, deployment_group: Any) -> None:
    release = guarded_release(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    deployment_id = start_codedeploy_deployment(deployment_group)

    result = release.rollback(reason="INC-3")

    assert market.alias_routing() == ("1", {})
    # moto does not implement StopDeployment, so this exercises the "could not stop" path:
    # the operator is told the exact command to run.
    assert any(
        deployment_id in warning and "stop-deployment" in warning for warning in result.warnings
    )


def test_codedeploy_application_without_group_is_a_configuration_error(market: Market) -> None:
    with pytest.raises(ConfigurationError, match="both"):
        build_release(
            TargetOptions(function_name=market.function_name, codedeploy_application=APPLICATION)
        )
