"""The CodeDeploy stand-in itself: it must execute deployments the way CodeDeploy does, or the
release tests prove nothing. Driven through boto3, like the tool drives AWS."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import CANARY_ALARMS, FUNCTION_NAME, GROUP, HOOK_NAME, IMAGE_V2, Market

from release_tool.appspec import LambdaAppSpec


@pytest.fixture
def codedeploy(market: Market) -> Any:
    market.lambda_client.update_function_code(FunctionName=FUNCTION_NAME, ImageUri=IMAGE_V2)
    market.lambda_client.publish_version(FunctionName=FUNCTION_NAME)  # version 2
    return boto3.client("codedeploy", endpoint_url=market.codedeploy.endpoint)


def create(codedeploy: Any, hook: str | None = None, **params: Any) -> str:
    spec = LambdaAppSpec(FUNCTION_NAME, "live", "1", "2", before_allow_traffic=hook)
    deployment_id: str = codedeploy.create_deployment(
        applicationName=FUNCTION_NAME, deploymentGroupName=GROUP, revision=spec.revision(), **params
    )["deploymentId"]
    return deployment_id


def status(codedeploy: Any, deployment_id: str) -> str:
    info: str = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]
    return info


@pytest.mark.parametrize(
    ("config", "routings"),
    [
        ("CodeDeployDefault.LambdaCanary10Percent5Minutes", [("1", {"2": 0.1}), ("2", {})]),
        ("CodeDeployDefault.LambdaAllAtOnce", [("2", {})]),
        (
            "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
            [("1", {"2": round(0.1 * k, 6)}) for k in range(1, 10)] + [("2", {})],
        ),
    ],
)
def test_traffic_shifts_step_by_step_per_configuration(
    market: Market, codedeploy: Any, config: str, routings: list[tuple[str, dict[str, float]]]
) -> None:
    deployment_id = create(codedeploy, deploymentConfigName=config)
    seen = []
    while status(codedeploy, deployment_id) != "Succeeded":
        market.codedeploy.advance(deployment_id)
        seen.append(market.alias_routing())
    assert seen == routings


def test_an_alarm_without_automatic_rollback_stops_but_leaves_the_traffic(
    market: Market, codedeploy: Any
) -> None:
    deployment_id = create(codedeploy, autoRollbackConfiguration={"enabled": False})
    market.codedeploy.advance()
    market.set_alarm(CANARY_ALARMS[0], "ALARM")
    market.codedeploy.advance()

    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert (info["status"], info["errorInformation"]["code"]) == ("Stopped", "ALARM_ACTIVE")
    assert "rollbackInfo" not in info
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_insufficient_data_does_not_stop_a_deployment(market: Market, codedeploy: Any) -> None:
    deployment_id = create(codedeploy)
    market.set_alarm(CANARY_ALARMS[1], "INSUFFICIENT_DATA")
    assert market.codedeploy.run(deployment_id) == "Succeeded"


def test_a_hook_that_does_not_report_fails_the_deployment(market: Market, codedeploy: Any) -> None:
    market.codedeploy.register_hook(HOOK_NAME, lambda event, context: None)
    deployment_id = create(codedeploy, hook=HOOK_NAME)

    assert market.codedeploy.advance() == "Failed"
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    assert "reported nothing" in info["errorInformation"]["message"]
    assert market.alias_routing() == ("1", {})


def test_one_active_deployment_per_group_and_stop_semantics(
    market: Market, codedeploy: Any
) -> None:
    deployment_id = create(codedeploy)
    with pytest.raises(ClientError, match="DeploymentLimitExceededException"):
        create(codedeploy)
    market.codedeploy.advance()

    codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)

    assert status(codedeploy, deployment_id) == "Stopped"
    assert market.alias_routing() == ("1", {})
    with pytest.raises(ClientError, match="DeploymentAlreadyCompletedException"):
        codedeploy.stop_deployment(deploymentId=deployment_id)


def test_an_alias_off_its_current_version_fails_before_any_hook(
    market: Market, codedeploy: Any
) -> None:
    market.lambda_client.update_alias(FunctionName=FUNCTION_NAME, Name="live", FunctionVersion="2")
    deployment_id = create(codedeploy, hook=HOOK_NAME)

    assert market.codedeploy.advance(deployment_id) == "Failed"
    assert market.invoker.calls == []
