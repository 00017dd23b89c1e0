"""`canary --watch`: the bake polls the gating alarms and rolls back by itself when one fires."""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from conftest import IMAGE_V2, Market
from test_release_lifecycle import release_for

from release_tool.errors import RefusedError


def later(delay_seconds: float, action: str, market: Market, alarm: str = "") -> threading.Thread:
    """Change the market from another thread (another operator, or CloudWatch) mid-bake."""

    def run() -> None:
        time.sleep(delay_seconds)
        # A client of its own: the tool's clients are in use on the main thread.
        session = boto3.session.Session()
        if action == "alarm":
            session.client("cloudwatch").set_alarm_state(
                AlarmName=alarm, StateValue="ALARM", StateReason="5xx rate 12% > 2%"
            )
        elif action == "delete-alarm":
            session.client("cloudwatch").delete_alarms(AlarmNames=[alarm])
        elif action == "promote-by-hand":
            session.client("lambda").update_alias(
                FunctionName=market.function_name,
                Name=market.alias,
                FunctionVersion="2",
                RoutingConfig={"AdditionalVersionWeights": {}},
            )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_watch_rolls_back_when_an_alarm_fires_mid_bake(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    alarm = market.alarm_names[0]
    flipper = later(0.6, "alarm", market, alarm)

    started = time.monotonic()
    outcome = release.watch(bake_seconds=30, poll_seconds=0.1, reason="CHG-101")
    took = time.monotonic() - started
    flipper.join()

    assert outcome.outcome == "rolled_back"
    assert outcome.firing_alarms == [alarm]
    assert outcome.polls >= 2  # it was quiet at first, then saw the alarm
    assert took < 15  # stopped long before the bake time ran out
    assert market.alias_routing() == ("1", {})
    record = market.alias_description()
    assert record["op"] == "rollback"
    assert record["rolled_back_from"] == "2"
    assert alarm in record["why"]


def test_watch_passes_when_alarms_stay_quiet_for_the_bake(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)

    started = time.monotonic()
    outcome = release.watch(bake_seconds=0.8, poll_seconds=0.2)
    took = time.monotonic() - started

    assert outcome.outcome == "passed"
    assert took >= 0.8  # the whole bake was observed
    assert outcome.polls >= 3
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_watch_rolls_back_at_once_when_an_alarm_is_already_firing(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    market.set_alarm(market.alarm_names[2], "ALARM")

    outcome = release.watch(bake_seconds=30, poll_seconds=5)

    assert outcome.outcome == "rolled_back"
    assert outcome.polls == 1
    assert market.alias_routing() == ("1", {})


def test_watch_stops_without_rolling_back_when_someone_else_moves_the_alias(
    market: Market,
) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    mover = later(0.4, "promote-by-hand", market)

    outcome = release.watch(bake_seconds=30, poll_seconds=0.1)
    mover.join()

    assert outcome.outcome == "interrupted"
    assert market.alias_routing() == ("2", {})


def test_watch_fails_safe_when_it_can_no_longer_read_the_alarms(market: Market) -> None:
    release = release_for(market)
    release.deploy(IMAGE_V2, "2")
    release.canary(10)
    # A gating alarm disappears mid-bake (someone destroys the monitoring stack).
    deleter = later(0.4, "delete-alarm", market, market.alarm_names[0])

    outcome = release.watch(bake_seconds=30, poll_seconds=0.1)
    deleter.join()

    assert outcome.outcome == "rolled_back"
    assert "could not read the gating alarms" in outcome.detail
    assert market.alias_routing() == ("1", {})
    assert "unobservable" in market.alias_description()["why"]


def test_watch_without_a_canary_is_refused(market: Market) -> None:
    with pytest.raises(RefusedError, match="nothing to watch"):
        release_for(market).watch(bake_seconds=1, poll_seconds=0.1)
