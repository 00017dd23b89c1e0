"""deploy → canary → status → promote → rollback against the emulated market.

Every assertion reads the alias and versions back from AWS (moto), not from the tool's output.
"""

from __future__ import annotations

import json

import pytest
from conftest import IMAGE_V2, IMAGE_V3, TERRAFORM_ALIAS_DESCRIPTION, Market

from release_tool.cli import TargetOptions, build_release
from release_tool.errors import RefusedError
from release_tool.operations import Release

OPERATOR = "arn:aws:sts::123456789012:assumed-role/release-operator/jane"


def release_for(market: Market, actor: str | None = OPERATOR) -> Release:
    return build_release(
        TargetOptions(
            function_name=market.function_name, alarm_names=market.alarm_names, actor=actor
        )
    )


def test_deploy_publishes_a_version_with_the_model_version_and_leaves_traffic(
    market: Market,
) -> None:
    result = release_for(market).deploy(IMAGE_V2, "2", reason="CHG-101 model 2")

    assert market.published_versions() == ["1", "2"]
    assert result.version == "2"
    assert result.published_new_version is True
    # Configuration is terraform's: the new version carries it unchanged.
    assert market.version_environment("2") == market.version_environment("1")
    record = json.loads(
        market.lambda_client.get_function_configuration(
            FunctionName=market.function_name, Qualifier="2"
        )["Description"]
    )
    assert record["model_version"] == "2"
    assert record["image"] == IMAGE_V2
    assert record["by"] == OPERATOR
    assert record["why"] == "CHG-101 model 2"
    assert market.lambda_client.get_function(FunctionName=market.function_name)["Code"][
        "ImageUri"
    ] == (IMAGE_V2)
    # No traffic moved, and the terraform-owned alias description is untouched.
    assert market.alias_routing() == ("1", {})
    alias = market.lambda_client.get_alias(FunctionName=market.function_name, Name=market.alias)
    assert alias["Description"] == TERRAFORM_ALIAS_DESCRIPTION


def test_deploying_the_same_image_and_model_again_publishes_nothing_new(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    again = release.deploy(IMAGE_V2, "2")

    assert market.published_versions() == ["1", "2"]
    assert again.version == "2"
    assert again.published_new_version is False
    assert again.warnings


def test_the_same_image_with_another_model_version_is_refused(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")

    with pytest.raises(RefusedError, match="carries exactly one model"):
        release.deploy(IMAGE_V2, "3")
    assert market.published_versions() == ["1", "2"]


def test_an_older_image_can_be_deployed_again_as_a_new_version(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.deploy(IMAGE_V3, "3")

    result = release.deploy(IMAGE_V2, "2", reason="model 3 misbehaves, roll forward to 2")

    assert result.version == "4"
    assert market.published_versions() == ["1", "2", "3", "4"]


def test_canary_refuses_a_newest_version_without_a_model_version(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    # terraform apply after a configuration change publishes a version nobody labelled.
    market.lambda_client.update_function_configuration(
        FunctionName=market.function_name, MemorySize=4096
    )
    market.lambda_client.publish_version(FunctionName=market.function_name)

    with pytest.raises(RefusedError, match="no recorded model version"):
        release.canary(10)
    release.canary(10, version="2")
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_a_firing_model_health_alarm_does_not_gate_a_release(market: Market) -> None:
    # The fixture's model-staleness alarm is in ALARM; the deployment alarms are OK.
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    release.promote(reason="bake clean")

    assert market.alias_routing() == ("2", {})


def test_full_lifecycle_deploy_canary_status_promote_rollback(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")

    canary = release.canary(10, reason="start canary")
    assert market.alias_routing() == ("1", {"2": 0.1})
    assert canary.traffic == {"1": 0.9, "2": 0.1}

    status = release.status()
    assert status["phase"] == "canary"
    assert status["traffic"] == {"1": 0.9, "2": 0.1}
    # Version 1 was published by terraform: no model version recorded.
    assert status["model_versions"] == {"1": None, "2": "2"}
    assert status["alarm_gate"] == "open"
    assert sorted(alarm["name"] for alarm in status["alarms"]) == sorted(market.alarm_names)
    assert {alarm["state"] for alarm in status["alarms"]} == {"OK"}

    release.promote(reason="bake clean")
    assert market.alias_routing() == ("2", {})
    record = market.alias_description()
    assert record["op"] == "promote"
    assert record["previous"] == "1"
    assert record["by"] == OPERATOR
    assert record["why"] == "bake clean"

    release.rollback(reason="INC-7 bad approvals")
    assert market.alias_routing() == ("1", {})
    record = market.alias_description()
    assert record["op"] == "rollback"
    assert record["rolled_back_from"] == "2"

    history = release.status()["history"]
    assert [event["op"] for event in history] == [
        "deploy",
        "canary",
        "promote",
        "rollback",
    ]
    assert history[-1]["why"] == "INC-7 bad approvals"
    assert history[-1]["stable"] == "1"


def test_rollback_during_canary_returns_all_traffic_to_the_stable_version(
    market: Market,
) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(25)
    assert market.alias_routing() == ("1", {"2": 0.25})

    result = release.rollback(reason="p99 up")

    assert market.alias_routing() == ("1", {})
    assert result.traffic == {"1": 1.0}
    assert market.alias_description()["rolled_back_from"] == "2"


def test_second_release_rolls_back_to_the_version_promoted_before(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    release.promote(reason="bake clean")
    release.deploy(IMAGE_V3, "3")
    release.canary(50)
    assert market.alias_routing() == ("2", {"3": 0.5})
    release.promote(reason="bake clean")
    assert market.alias_routing() == ("3", {})

    release.rollback(reason="test rollback")

    assert market.alias_routing() == ("2", {})


def test_a_repeated_rollback_is_refused_instead_of_going_further_back(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    release.promote(reason="bake clean")
    release.rollback(reason="test rollback")

    with pytest.raises(RefusedError, match="already rolled back"):
        release.rollback(reason="test rollback")
    assert market.alias_routing() == ("1", {})


def test_rollback_to_an_explicit_version(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    release.promote(reason="bake clean")
    release.deploy(IMAGE_V3, "3")
    release.canary(10)

    release.rollback(to_version="1", reason="both 2 and 3 are bad")

    assert market.alias_routing() == ("1", {})


def test_canary_weight_can_be_raised_for_the_same_version(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    release.canary(50)

    assert market.alias_routing() == ("1", {"2": 0.5})


def test_force_replaces_a_canary_of_another_version(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    market.lambda_client.update_alias(
        FunctionName=market.function_name, Name=market.alias, RoutingConfig={}
    )
    release.deploy(IMAGE_V3, "3")
    release.canary(10)
    release.canary(20, version="2", force=True)

    assert market.alias_routing() == ("1", {"2": 0.2})


def test_actor_comes_from_sts_when_not_configured(market: Market) -> None:
    release = release_for(market, actor=None)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)

    # moto's caller identity for the fake credentials.
    assert market.alias_description()["by"].startswith("arn:aws:sts::123456789012:")
