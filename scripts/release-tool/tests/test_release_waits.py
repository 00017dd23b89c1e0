"""Waiting for Lambda updates: the states moto never shows (it is done at once) via a stub.

moto reports every update as Successful and every version as Active immediately, so the
InProgress/Pending/Failed paths are driven by a stand-in for the two read calls involved.
"""

from __future__ import annotations

from typing import Any

import pytest

from release_tool.errors import ReleaseError
from release_tool.lambda_function import LambdaFunction


class ScriptedLambda:
    """Answers get_function_configuration with a scripted sequence of states."""

    def __init__(self, configurations: list[dict[str, Any]]) -> None:
        self._configurations = configurations
        self.calls = 0

    def get_function_configuration(self, **_: Any) -> dict[str, Any]:
        configuration = self._configurations[min(self.calls, len(self._configurations) - 1)]
        self.calls += 1
        return configuration


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def function_with(configurations: list[dict[str, Any]]) -> tuple[LambdaFunction, ScriptedLambda]:
    client = ScriptedLambda(configurations)
    clock = FakeTime()
    function = LambdaFunction(client, "fn", "live", sleep=clock.sleep, clock=clock.monotonic)
    return function, client


def test_waits_while_the_update_is_in_progress() -> None:
    function, client = function_with(
        [
            {"LastUpdateStatus": "InProgress"},
            {"LastUpdateStatus": "InProgress"},
            {"LastUpdateStatus": "Successful"},
        ]
    )
    function.wait_until_updated(timeout_seconds=60, poll_seconds=1)
    assert client.calls == 3


def test_a_failed_update_is_an_error_with_lambdas_reason() -> None:
    function, _ = function_with(
        [
            {
                "LastUpdateStatus": "Failed",
                "LastUpdateStatusReasonCode": "ImageAccessDenied",
                "LastUpdateStatusReason": "Lambda cannot pull the image",
            }
        ]
    )
    with pytest.raises(ReleaseError, match="ImageAccessDenied"):
        function.wait_until_updated(timeout_seconds=60)


def test_an_update_that_never_finishes_times_out() -> None:
    function, client = function_with([{"LastUpdateStatus": "InProgress"}])
    with pytest.raises(ReleaseError, match="still InProgress after 10s"):
        function.wait_until_updated(timeout_seconds=10, poll_seconds=2)
    assert client.calls == 6  # t = 0, 2, 4, 6, 8, 10


def test_waits_for_a_pending_version_and_reports_a_failed_one() -> None:
    function, _ = function_with([{"State": "Pending"}, {"State": "Active"}])
    function.wait_until_active("3", timeout_seconds=60, poll_seconds=1)

    failing, _ = function_with([{"State": "Pending"}, {"State": "Failed", "StateReason": "bad"}])
    with pytest.raises(ReleaseError, match="failed to become active"):
        failing.wait_until_active("3", timeout_seconds=60, poll_seconds=1)
