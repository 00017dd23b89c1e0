"""Unsafe or impossible requests are refused with a clear reason and change nothing."""

from __future__ import annotations

import json

import boto3
import pytest
from conftest import IMAGE_V1, IMAGE_V2, IMAGE_V3, Market
from test_release_lifecycle import release_for

from release_tool.cli import TargetOptions, build_release
from release_tool.errors import ConfigurationError, RefusedError
from release_tool.operations import validate_image_uri, validate_model_version, validate_percent


def test_promote_without_a_canary_is_refused(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")

    with pytest.raises(RefusedError, match="no canary in progress"):
        release.promote(reason="bake clean")
    assert market.alias_routing() == ("1", {})


@pytest.mark.parametrize("percent", [0, 100, -5, 150, 0.0, 100.0001])
def test_percentages_outside_0_100_exclusive_are_rejected(percent: float) -> None:
    with pytest.raises(RefusedError, match="greater than 0 and less than 100"):
        validate_percent(percent)


@pytest.mark.parametrize(("percent", "weight"), [(10, 0.1), (0.5, 0.005), (99.9, 0.999)])
def test_percentages_inside_the_range_become_alias_weights(percent: float, weight: float) -> None:
    assert validate_percent(percent) == pytest.approx(weight)


def test_canary_percentage_out_of_range_changes_nothing(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")

    with pytest.raises(RefusedError, match="greater than 0 and less than 100"):
        release.canary(100)
    assert market.alias_routing() == ("1", {})


def test_canary_of_a_version_that_does_not_exist_is_refused(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")

    with pytest.raises(RefusedError, match=r"version 99 .* does not exist"):
        release.canary(10, version="99")
    assert market.alias_routing() == ("1", {})


@pytest.mark.parametrize("version", ["$LATEST", "abc", "0", "-1"])
def test_canary_to_something_other_than_a_published_version_is_refused(
    market: Market, version: str
) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")

    with pytest.raises(RefusedError, match="not a published version number"):
        release.canary(10, version=version)
    assert market.alias_routing() == ("1", {})


def test_canary_with_nothing_new_deployed_is_refused(market: Market) -> None:
    with pytest.raises(RefusedError, match="already serves all traffic"):
        release_for(market).canary(10)
    assert market.alias_routing() == ("1", {})


def test_a_second_canary_of_another_version_is_refused(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    # Published outside the tool (deploy itself refuses during a canary).
    market.lambda_client.update_function_code(FunctionName=market.function_name, ImageUri=IMAGE_V3)
    market.lambda_client.publish_version(FunctionName=market.function_name)

    with pytest.raises(RefusedError, match="already in progress"):
        release.canary(10, version="3")
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_canary_of_an_older_version_needs_force(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    release.promote(reason="bake clean")

    with pytest.raises(RefusedError, match="older than the live version"):
        release.canary(10, version="1")
    assert market.alias_routing() == ("2", {})


def test_deploy_during_a_canary_is_refused(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)

    with pytest.raises(RefusedError, match="canary of version 2 is in progress"):
        release.deploy(IMAGE_V3, "3")
    assert market.published_versions() == ["1", "2"]


@pytest.mark.parametrize(
    "image_uri",
    [
        "credit-risk-inference:latest",
        "docker.io/library/python:3.11",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk-inference",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/Credit-Risk:1",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk@sha256:abc",
        "",
    ],
)
def test_non_ecr_or_untagged_image_uris_are_rejected(image_uri: str) -> None:
    with pytest.raises(RefusedError, match="not an ECR image reference"):
        validate_image_uri(image_uri)


@pytest.mark.parametrize(
    "image_uri",
    [
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk-inference:model-7",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/credit-risk@sha256:" + "a" * 64,
    ],
)
def test_ecr_image_uris_with_tag_or_digest_are_accepted(image_uri: str) -> None:
    assert validate_image_uri(f" {image_uri} ") == image_uri


@pytest.mark.parametrize("model_version", ["", " ", "2 beta", "x" * 65, "../2", "-1"])
def test_invalid_model_versions_are_rejected(model_version: str) -> None:
    with pytest.raises(RefusedError, match="model version"):
        validate_model_version(model_version)


def test_deploy_of_a_bad_image_or_model_version_publishes_nothing(market: Market) -> None:
    release = release_for(market)
    with pytest.raises(RefusedError, match="not an ECR image reference"):
        release.deploy("credit-risk-inference:latest", "2")
    with pytest.raises(RefusedError, match="model version"):
        release.deploy(IMAGE_V2, "2 beta")

    assert market.published_versions() == ["1"]
    code = market.lambda_client.get_function(FunctionName=market.function_name)["Code"]
    assert code["ImageUri"] == IMAGE_V1  # $LATEST untouched


def test_deploy_to_a_zip_function_is_refused(market: Market) -> None:
    role = boto3.client("iam").get_role(RoleName=f"{market.function_name}-role")["Role"]["Arn"]
    market.lambda_client.create_function(
        FunctionName="zip-function",
        Role=role,
        Runtime="python3.11",
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    release = build_release(TargetOptions(function_name="zip-function", actor="tester"))

    with pytest.raises(RefusedError, match="only ships container images"):
        release.deploy(IMAGE_V2, "2")


def test_promote_while_a_gating_alarm_fires_is_refused(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    market.set_alarm(market.alarm_names[1], "ALARM")

    with pytest.raises(RefusedError, match=market.alarm_names[1]):
        release.promote(reason="bake clean")
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_insufficient_data_does_not_block_promotion(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    market.set_alarm(market.alarm_names[0], "INSUFFICIENT_DATA")

    release.promote(reason="bake clean")
    assert market.alias_routing() == ("2", {})


def test_promote_with_no_gating_alarms_configured_is_refused(market: Market) -> None:
    release = build_release(TargetOptions(function_name=market.function_name, actor="t"))
    release.deploy(IMAGE_V2, "2")
    release.canary(10)

    with pytest.raises(ConfigurationError, match="no gating alarms configured"):
        release.promote(reason="bake clean")
    assert market.alias_routing() == ("1", {"2": 0.1})


@pytest.mark.parametrize(
    ("names", "prefix", "message"),
    [
        (["credit-risk-mx-staging-api-5xx-rate", "typo-alarm"], None, r"not found.*typo-alarm"),
        ([], "credit-risk-mx-prod-", "no CloudWatch alarm matches"),
    ],
)
def test_a_gate_that_matches_no_alarm_refuses_instead_of_passing(
    market: Market, names: list[str], prefix: str | None, message: str
) -> None:
    release = build_release(
        TargetOptions(
            function_name=market.function_name, alarm_names=names, alarm_prefix=prefix, actor="t"
        )
    )
    release.deploy(IMAGE_V2, "2")
    release.canary(10)

    with pytest.raises(RefusedError, match=message):
        release.promote(reason="bake clean")
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_an_alarm_prefix_gates_on_every_alarm_it_matches(market: Market) -> None:
    # The market prefix also selects the model-staleness alarm, which is in ALARM: prefer the
    # deployment alarm names (docs/operations.md) unless every alarm under the prefix should gate.
    release = build_release(
        TargetOptions(function_name=market.function_name, alarm_prefix=market.alarm_prefix)
    )
    release.deploy(IMAGE_V2, "2")
    release.canary(10)

    with pytest.raises(RefusedError, match="model-staleness"):
        release.promote(reason="bake clean")
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_rollback_without_a_release_record_needs_an_explicit_version(market: Market) -> None:
    with pytest.raises(RefusedError, match="--to-version"):
        release_for(market).rollback(reason="test rollback")
    assert market.alias_routing() == ("1", {})


def test_rollback_refuses_when_the_alias_was_moved_outside_the_tool(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    release.promote(reason="bake clean")
    # Someone points the alias elsewhere by hand, keeping the tool's description.
    market.lambda_client.update_alias(
        FunctionName=market.function_name, Name=market.alias, FunctionVersion="1"
    )

    with pytest.raises(RefusedError, match="changed outside this tool"):
        release.rollback(reason="test rollback")
    assert market.alias_routing() == ("1", {})


def test_rollback_to_a_missing_version_is_refused(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)

    with pytest.raises(RefusedError, match="does not exist"):
        release.rollback(reason="test", to_version="7")
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_rollback_to_the_canary_version_is_refused_as_an_ungated_promote(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)

    with pytest.raises(RefusedError, match="is the canary"):
        release.rollback(reason="test", to_version="2")
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_unknown_function_is_refused(market: Market) -> None:
    release = build_release(TargetOptions(function_name="no-such-function", actor="t"))
    with pytest.raises(RefusedError, match="not found"):
        release.status()


def test_missing_function_name_is_a_configuration_error(market: Market) -> None:
    with pytest.raises(ConfigurationError, match="RELEASE_FUNCTION_NAME"):
        build_release(TargetOptions())


def test_alias_on_latest_is_refused(market: Market) -> None:
    market.lambda_client.update_alias(
        FunctionName=market.function_name, Name=market.alias, FunctionVersion="$LATEST"
    )
    with pytest.raises(RefusedError, match="not a published version"):
        release_for(market).deploy(IMAGE_V2, "2")


def test_description_written_by_the_tool_fits_the_aws_limit(market: Market) -> None:
    release = build_release(
        TargetOptions(
            function_name=market.function_name,
            alarm_prefix=market.alarm_prefix,
            actor="arn:aws:sts::123456789012:assumed-role/" + "a" * 200,
        )
    )
    release.deploy(IMAGE_V2, "2", reason="r" * 400)
    release.canary(10, reason="é" * 300)

    alias = market.lambda_client.get_alias(FunctionName=market.function_name, Name=market.alias)
    assert len(alias["Description"]) <= 256
    assert json.loads(alias["Description"])["canary"] == "2"
    version = market.lambda_client.get_function_configuration(
        FunctionName=market.function_name, Qualifier="2"
    )
    assert len(version["Description"]) <= 256
    assert json.loads(version["Description"])["model_version"] == "2"
