"""The `release` command line: JSON output an e2e script can drive, exit codes, env config."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import IMAGE_V2, Market
from test_release_watch import later
from typer.testing import CliRunner

from release_tool.cli import app

runner = CliRunner()


def invoke(market: Market, *args: str, expect: int = 0) -> dict[str, Any]:
    result = runner.invoke(app, [*market.cli_options(), *args, "--json"])
    assert result.exit_code == expect, (result.stdout, result.stderr)
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def test_lifecycle_through_the_cli(market: Market) -> None:
    deployed = invoke(
        market, "deploy", "--image-uri", IMAGE_V2, "--model-version", "2", "--reason", "CHG-1"
    )
    assert deployed["ok"] is True
    assert deployed["version"] == "2"
    assert market.alias_routing() == ("1", {})

    invoke(market, "canary", "--percent", "10")
    assert market.alias_routing() == ("1", {"2": 0.1})

    status = invoke(market, "status")
    assert status["phase"] == "canary"
    assert status["traffic"] == {"1": 0.9, "2": 0.1}
    assert status["model_versions"] == {"1": None, "2": "2"}
    assert {alarm["name"] for alarm in status["alarms"]} == set(market.alarm_names)

    invoke(market, "promote", "--reason", "clean bake")
    assert market.alias_routing() == ("2", {})

    rolled = invoke(market, "rollback", "--reason", "INC-9")
    assert rolled["traffic"] == {"1": 1.0}
    assert market.alias_routing() == ("1", {})


def test_refusals_exit_3_with_the_reason_on_stderr(market: Market) -> None:
    result = runner.invoke(app, [*market.cli_options(), "promote", "--reason", "go"])

    assert result.exit_code == 3
    assert "refused" in result.stderr
    assert "no canary in progress" in result.stderr
    assert result.stdout == ""
    assert market.alias_routing() == ("1", {})


@pytest.mark.parametrize("command", ["promote", "rollback"])
def test_traffic_decisions_without_a_reason_are_refused(market: Market, command: str) -> None:
    invoke(market, "deploy", "--image-uri", IMAGE_V2, "--model-version", "2")
    invoke(market, "canary", "--percent", "10")

    result = runner.invoke(app, [*market.cli_options(), command, "--reason", "  "])

    assert result.exit_code == 3
    assert "--reason is required" in result.stderr
    assert market.alias_routing() == ("1", {"2": 0.1})


def test_refusal_in_json_mode_also_prints_a_json_error(market: Market) -> None:
    invoke(market, "deploy", "--image-uri", IMAGE_V2, "--model-version", "2")
    payload = invoke(market, "canary", "--percent", "100", expect=3)

    assert payload["ok"] is False
    assert payload["exit_code"] == 3
    assert "less than 100" in payload["error"]
    assert market.alias_routing() == ("1", {})


def test_missing_required_option_is_a_usage_error(market: Market) -> None:
    result = runner.invoke(app, [*market.cli_options(), "canary"])
    assert result.exit_code == 2


def test_missing_function_is_a_usage_error(market: Market) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "RELEASE_FUNCTION_NAME" in result.stderr


def test_settings_come_from_release_environment_variables(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASE_FUNCTION_NAME", market.function_name)
    monkeypatch.setenv("RELEASE_ALARM_NAMES", ",".join(market.alarm_names[:2]))
    monkeypatch.setenv("RELEASE_ACTOR", "ci:codepipeline/mx-prod")

    result = runner.invoke(app, ["status", "--json"])

    assert result.exit_code == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["function_name"] == market.function_name
    assert {alarm["name"] for alarm in status["alarms"]} == set(market.alarm_names[:2])
    runner.invoke(app, ["deploy", "--image-uri", IMAGE_V2, "--model-version", "2"])
    runner.invoke(app, ["canary", "--percent", "5"])
    assert market.alias_description()["by"] == "ci:codepipeline/mx-prod"


def test_canary_watch_exits_4_after_an_automatic_rollback(market: Market) -> None:
    invoke(market, "deploy", "--image-uri", IMAGE_V2, "--model-version", "2")
    flipper = later(0.6, "alarm", market, market.alarm_names[1])

    payload = invoke(
        market,
        "canary",
        "--percent",
        "10",
        "--watch",
        "--bake-seconds",
        "30",
        "--poll-seconds",
        "0.1",
        expect=4,
    )
    flipper.join()

    assert payload["ok"] is False
    assert payload["watch"]["outcome"] == "rolled_back"
    assert payload["watch"]["firing_alarms"] == [market.alarm_names[1]]
    assert market.alias_routing() == ("1", {})


def test_canary_watch_with_a_broken_alarm_gate_moves_no_traffic(market: Market) -> None:
    invoke(market, "deploy", "--image-uri", IMAGE_V2, "--model-version", "2")
    result = runner.invoke(
        app,
        [
            "--function-name",
            market.function_name,
            "--alarm-name",
            "does-not-exist",
            "canary",
            "--percent",
            "10",
            "--watch",
        ],
    )
    assert result.exit_code == 3
    assert "does-not-exist" in result.stderr
    assert market.alias_routing() == ("1", {})


def installed_release() -> str:
    # The console script next to this interpreter (the shared .venv), else on PATH.
    candidate = Path(sys.executable).parent / "release"
    found = str(candidate) if candidate.exists() else shutil.which("release")
    assert found, "the `release` console command is not installed"
    return found


def test_installed_command_runs_against_the_market_and_refuses(market: Market) -> None:
    # One subprocess: the console entry point, env configuration and exit code end to end.
    refused = subprocess.run(
        [installed_release(), "rollback", "--reason", "INC-1"],
        capture_output=True,
        text=True,
        env={**os.environ, "RELEASE_FUNCTION_NAME": market.function_name},
        timeout=60,
        check=False,
    )

    assert refused.returncode == 3, refused.stderr
    assert "has no release record" in refused.stderr
    assert "Recent versions: 1 (model ?)" in refused.stderr
    assert market.alias_routing() == ("1", {})
