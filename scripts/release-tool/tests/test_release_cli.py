"""The `release` command line: JSON output a pipeline can drive, exit codes, env config."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CANARY_ALARMS, IMAGE_V2, MODEL_2, SHA_2, Market
from typer.testing import CliRunner

from release_tool.cli import app

runner = CliRunner()


def invoke(market: Market, *args: str, expect: int = 0) -> dict[str, Any]:
    result = runner.invoke(app, [*market.cli_options(), *args, "--json"])
    assert result.exit_code == expect, (result.stdout, result.stderr)
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def deploy_v2(market: Market) -> None:
    invoke(market, "deploy", "--image-uri", IMAGE_V2, "--model-version", MODEL_2,
           "--model-sha256", SHA_2, "--reason", "CHG-1")  # fmt: skip


def test_lifecycle_through_the_cli(market: Market) -> None:
    deploy_v2(market)
    started = invoke(market, "canary", "--percent", "10", "--reason", "CHG-1")
    assert started["deployment_status"] == "Created"
    market.codedeploy.advance()
    assert invoke(market, "status")["traffic"] == {"1": 0.9, "2": 0.1}

    market.codedeploy.advance_on_poll = True
    promoted = invoke(market, "promote", "--poll-seconds", "0")
    assert (promoted["ok"], promoted["to_version"]) == (True, "2")

    rolled = invoke(market, "rollback", "--reason", "INC-9", "--poll-seconds", "0")
    assert rolled["traffic"] == {"1": 1.0}
    assert market.alias_routing() == ("1", {})


def test_promote_exits_4_when_codedeploy_rolled_the_canary_back(market: Market) -> None:
    deploy_v2(market)
    invoke(market, "canary")
    market.codedeploy.advance()
    market.set_alarm(CANARY_ALARMS[1], "ALARM")
    market.codedeploy.advance_on_poll = True

    payload = invoke(market, "promote", "--poll-seconds", "0", expect=4)

    assert payload["ok"] is False
    assert "ALARM_ACTIVE" in payload["error"]
    assert market.alias_routing() == ("1", {})


def test_refusals_exit_3_with_the_reason_on_stderr(market: Market) -> None:
    result = runner.invoke(app, [*market.cli_options(), "promote"])

    assert result.exit_code == 3
    assert "refused" in result.stderr
    assert "start one with `release canary`" in result.stderr
    assert result.stdout == ""


def test_deploy_needs_an_image_or_a_manifest(market: Market) -> None:
    payload = invoke(market, "deploy", "--model-version", "2", expect=2)
    assert "--manifest" in payload["error"]


def test_missing_function_is_a_usage_error(market: Market) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "RELEASE_FUNCTION_NAME" in result.stderr


def test_settings_come_from_release_environment_variables(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASE_FUNCTION_NAME", market.function_name)
    monkeypatch.setenv("RELEASE_ACTOR", "ci:codepipeline/mx-prod")
    monkeypatch.setenv("RELEASE_PRE_TRAFFIC_HOOK", "none")

    assert (
        runner.invoke(app, ["deploy", "--image-uri", IMAGE_V2, "--model-version", "2"]).exit_code
        == 0
    )
    result = runner.invoke(app, ["canary", "--json"])

    assert result.exit_code == 0, result.stderr
    assert "no pre-traffic hook" in result.stderr
    deployment = market.codedeploy.active_deployment()
    assert "Hooks" not in deployment.appspec()
    assert json.loads(deployment.description)["by"] == "ci:codepipeline/mx-prod"


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
    assert "no CodeDeploy deployment history" in refused.stderr
    assert "Recent versions: 1 (model ?)" in refused.stderr
    assert market.alias_routing() == ("1", {})
