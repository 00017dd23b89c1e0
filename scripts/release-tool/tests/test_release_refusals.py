"""Every refusal exits 3 with a reason and changes nothing in AWS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import (
    FUNCTION_NAME,
    GROUP,
    IMAGE_V2,
    IMAGE_V3,
    MODEL_2,
    MODEL_3,
    SHA_2,
    SHA_3,
    Market,
)

from release_tool.cli import TargetOptions, build_release
from release_tool.errors import ExitCode, RefusedError, ReleaseError
from release_tool.release import Release


@pytest.fixture
def release(market: Market) -> Release:
    return build_release(TargetOptions(function_name=FUNCTION_NAME, actor="ci:test"))


def snapshot(market: Market) -> tuple[Any, ...]:
    deployments = sorted(
        (d.deployment_id, d.status) for d in market.codedeploy.deployments.values()
    )
    return market.alias_routing(), market.published_versions(), deployments


def refused(market: Market, action: Callable[[], object], match: str) -> None:
    before = snapshot(market)
    with pytest.raises(RefusedError, match=match) as caught:
        action()
    assert caught.value.exit_code == ExitCode.REFUSED
    assert snapshot(market) == before


@pytest.mark.parametrize(
    ("image", "model", "sha", "match"),
    [
        ("credit-risk-inference:latest", MODEL_2, SHA_2, "not an ECR image"),
        (IMAGE_V2, "2 beta", SHA_2, "model version"),
        (IMAGE_V2, MODEL_2, "abc", "64 hex"),
    ],
)
def test_deploy_refuses_bad_input(
    release: Release, market: Market, image: str, model: str, sha: str, match: str
) -> None:
    refused(market, lambda: release.deploy(image, model, sha), match)


def test_deploy_refuses_the_same_image_with_another_model(release: Release, market: Market) -> None:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    refused(market, lambda: release.deploy(IMAGE_V2, MODEL_3, SHA_3), "exactly one model")


def test_canary_refuses_when_nothing_newer_is_published(release: Release, market: Market) -> None:
    refused(market, lambda: release.canary(), "run `release deploy` first")


def test_canary_refuses_a_version_without_a_recorded_model(
    release: Release, market: Market
) -> None:
    # terraform apply after a configuration change publishes a version nobody labelled.
    market.lambda_client.update_function_configuration(FunctionName=FUNCTION_NAME, MemorySize=2048)
    market.lambda_client.publish_version(FunctionName=FUNCTION_NAME)
    refused(market, lambda: release.canary(), "no recorded model version")


def test_canary_refuses_a_version_the_hook_cannot_check(release: Release, market: Market) -> None:
    release.deploy(IMAGE_V2, MODEL_2, None)
    refused(market, lambda: release.canary(), "no recorded model SHA-256")


def test_canary_refuses_a_share_other_than_the_market_config(
    release: Release, market: Market
) -> None:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    refused(market, lambda: release.canary(percent=25), "shifts 10 % first")


def test_canary_refuses_while_a_deployment_runs(release: Release, market: Market) -> None:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    release.canary()
    release.deploy(IMAGE_V3, MODEL_3, SHA_3)
    refused(market, lambda: release.canary(), "is in progress")


def test_canary_refuses_an_older_version_without_force(release: Release, market: Market) -> None:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    release.canary()
    market.codedeploy.run()
    refused(market, lambda: release.canary(version="1"), "older than the live version")


def test_canary_refuses_a_group_that_watches_no_alarms(release: Release, market: Market) -> None:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    market.codedeploy.groups[(FUNCTION_NAME, GROUP)]["alarmConfiguration"] = {"enabled": False}
    refused(market, lambda: release.canary(), "watches no alarms")


def test_canary_refuses_a_missing_hook_function(market: Market) -> None:
    release = build_release(
        TargetOptions(function_name=FUNCTION_NAME, pre_traffic_hook="no-such-hook")
    )
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    refused(market, lambda: release.canary(), "hook function no-such-hook not found")


def test_canary_refuses_an_alias_moved_outside_codedeploy(release: Release, market: Market) -> None:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    market.lambda_client.update_alias(
        FunctionName=FUNCTION_NAME,
        Name="live",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    refused(market, lambda: release.canary(), "changed outside CodeDeploy")


def test_promote_refuses_without_any_deployment(release: Release, market: Market) -> None:
    refused(market, lambda: release.promote(), "start one with `release canary`")


def test_rollback_needs_a_reason_and_a_history(release: Release, market: Market) -> None:
    refused(market, lambda: release.rollback("  "), "--reason is required")
    refused(market, lambda: release.rollback("INC-1"), "no CodeDeploy deployment history")


def test_rollback_refuses_to_undo_a_canary_that_was_rolled_back(
    release: Release, market: Market
) -> None:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    release.canary()
    market.codedeploy.advance()
    market.set_alarm("credit-risk-mx-staging-canary-lambda-errors", "ALARM")
    market.codedeploy.advance()
    assert market.alias_routing() == ("1", {})
    refused(market, lambda: release.rollback("INC-2"), "already rolled back")


def test_rollback_refuses_the_version_being_deployed(release: Release, market: Market) -> None:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2)
    release.canary()
    refused(market, lambda: release.rollback("x", to_version="2"), "`release promote`")


def test_a_deployment_group_that_does_not_exist_is_an_aws_error(market: Market) -> None:
    release = build_release(
        TargetOptions(function_name=FUNCTION_NAME, codedeploy_group="credit-risk-nope")
    )
    with pytest.raises(ReleaseError, match="DeploymentGroupDoesNotExistException"):
        release.canary()
