"""deploy -> canary (CodeDeploy) -> promote -> rollback, read back from AWS with plain boto3."""

from __future__ import annotations

import json

import pytest
from conftest import (
    CANARY_ALARMS,
    FUNCTION_NAME,
    HOOK_NAME,
    IMAGE_V2,
    IMAGE_V3,
    MODEL_2,
    MODEL_3,
    SHA_2,
    SHA_3,
    Market,
    recorded,
)

from release_tool.cli import TargetOptions, build_release
from release_tool.errors import RefusedError, RolledBackError
from release_tool.release import Release


@pytest.fixture
def release(market: Market) -> Release:
    return build_release(TargetOptions(function_name=FUNCTION_NAME, actor="ci:test"))


def deploy_and_start(release: Release, market: Market) -> str:
    release.deploy(IMAGE_V2, MODEL_2, SHA_2, reason="CHG-1")
    return release.canary(reason="CHG-1").deployment_id


def test_deploy_publishes_a_version_with_its_model_and_moves_no_traffic(
    release: Release, market: Market
) -> None:
    result = release.deploy(IMAGE_V2, MODEL_2, SHA_2, reason="CHG-1")

    assert (result.version, result.published_new_version) == ("2", True)
    assert market.alias_routing() == ("1", {})
    config = market.lambda_client.get_function_configuration(
        FunctionName=FUNCTION_NAME, Qualifier="2"
    )
    record = json.loads(config["Description"])
    assert (record["model_version"], record["model_sha256"]) == (MODEL_2, SHA_2)
    assert record["by"] == "ci:test"
    again = release.deploy(IMAGE_V2, MODEL_2, SHA_2, reason="retry")
    assert (again.version, again.published_new_version) == ("2", False)
    assert market.published_versions() == ["1", "2"]


def test_canary_points_the_alarms_at_the_new_version_then_codedeploy_shifts(
    release: Release, market: Market
) -> None:
    started = release.canary  # bound method, called below after the deploy
    release.deploy(IMAGE_V2, MODEL_2, SHA_2, reason="CHG-1")
    result = started(reason="CHG-1", percent=10)

    assert (result.from_version, result.to_version) == ("1", "2")
    assert sorted(result.alarms_pointed) == sorted(CANARY_ALARMS)
    assert market.alarm_dimensions(CANARY_ALARMS[0])["ExecutedVersion"] == "2"
    assert market.alarm_dimensions(CANARY_ALARMS[1])["function_version"] == "2"
    assert market.alias_routing() == ("1", {})  # CodeDeploy has not started yet

    assert market.codedeploy.advance() == "InProgress"
    assert market.alias_routing() == ("1", {"2": 0.1})
    # The pre-traffic hook checked version 2 before any traffic reached it.
    assert [(q, e["rawPath"]) for _, q, e in market.invoker.calls] == [
        ("2", "/ready"),
        ("2", "/version"),
        ("2", "/predict"),
    ]
    status = release.status()
    assert status["phase"] == "canary"
    assert status["codedeploy"]["active"]["deployment_id"] == result.deployment_id


def test_promote_waits_for_codedeploy_to_shift_everything(release: Release, market: Market) -> None:
    deploy_and_start(release, market)
    market.codedeploy.advance_on_poll = True  # each waiter poll = one bake interval

    promoted = release.promote(timeout_seconds=60, poll_seconds=0)

    assert promoted.deployment_status == "Succeeded"
    assert promoted.to_version == "2"
    assert market.alias_routing() == ("2", {})
    # Asking again is harmless: the last deployment already succeeded.
    assert release.promote(timeout_seconds=60, poll_seconds=0).to_version == "2"


def test_an_alarm_during_the_bake_rolls_the_canary_back_and_promote_says_so(
    release: Release, market: Market
) -> None:
    deploy_and_start(release, market)
    market.codedeploy.advance()
    assert market.alias_routing() == ("1", {"2": 0.1})

    market.set_alarm(CANARY_ALARMS[0], "ALARM")  # version 2 throws errors
    market.codedeploy.advance_on_poll = True
    with pytest.raises(RolledBackError, match="ALARM_ACTIVE"):
        release.promote(timeout_seconds=60, poll_seconds=0)

    assert market.alias_routing() == ("1", {})


def test_a_failing_pre_traffic_check_never_lets_traffic_reach_the_version(
    release: Release, market: Market
) -> None:
    market.invoker.responses["/ready"] = recorded("inference_ready_store_down.json")
    deploy_and_start(release, market)

    assert market.codedeploy.advance() == "Failed"
    assert market.alias_routing() == ("1", {})
    with pytest.raises(RolledBackError, match="HOOK_EXECUTION_FAILURE"):
        release.promote(timeout_seconds=60, poll_seconds=0)


def test_rollback_during_the_canary_stops_codedeploy_with_its_rollback(
    release: Release, market: Market
) -> None:
    deploy_and_start(release, market)
    market.codedeploy.advance()

    result = release.rollback("INC-9 p99", poll_seconds=0)

    assert market.alias_routing() == ("1", {})
    assert result.traffic == {"1": 1.0}
    stopped = market.codedeploy.deployments[result.deployment_id]
    assert (stopped.status, stopped.error and stopped.error["code"]) == ("Stopped", "MANUAL_STOP")


def test_rollback_after_a_release_redeploys_the_previous_version_at_once(
    release: Release, market: Market
) -> None:
    deploy_and_start(release, market)
    market.codedeploy.advance_on_poll = True
    release.promote(timeout_seconds=60, poll_seconds=0)

    result = release.rollback("INC-10 bad answers", poll_seconds=0)

    assert market.alias_routing() == ("1", {})
    redeploy = market.codedeploy.deployments[result.deployment_id]
    assert redeploy.config_name == "CodeDeployDefault.LambdaAllAtOnce"
    assert redeploy.alarm_override == {"enabled": False, "alarms": []}
    assert "Hooks" not in redeploy.appspec()  # the old version served before: no gate
    with pytest.raises(RefusedError, match="already rolled back"):
        release.rollback("again", poll_seconds=0)
    release.rollback("INC-10 forward again", to_version="2", poll_seconds=0)
    assert market.alias_routing() == ("2", {})


def test_status_shows_models_history_and_the_alarms_codedeploy_watches(
    release: Release, market: Market
) -> None:
    deploy_and_start(release, market)
    market.codedeploy.run()
    release.deploy(IMAGE_V3, MODEL_3, SHA_3, reason="CHG-2")

    report = release.status()

    assert report["phase"] == "stable"
    assert report["traffic"] == {"2": 1.0}
    assert report["model_versions"] == {"2": MODEL_2}
    assert [row["model_version"] for row in report["versions"]] == [None, MODEL_2, MODEL_3]
    (last,) = report["codedeploy"]["history"]
    assert (last["status"], last["note"]["op"], last["note"]["by"]) == (
        "Succeeded",
        "canary",
        "ci:test",
    )
    assert report["codedeploy"]["pre_traffic_hook"] == HOOK_NAME
    watched = {alarm["name"]: alarm["watches_version"] for alarm in report["codedeploy"]["alarms"]}
    assert watched == dict.fromkeys(CANARY_ALARMS, "2")
