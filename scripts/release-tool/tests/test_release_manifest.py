"""The release manifest: written only for what passed its canary, deployed unchanged next."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CANARY_ALARMS, FUNCTION_NAME, IMAGE_V2, MODEL_2, SHA_2, Market
from typer.testing import CliRunner

from release_tool.cli import TargetOptions, app, build_release
from release_tool.errors import RefusedError
from release_tool.manifest import SCHEMA, ReleaseManifest
from release_tool.release import Release

COMMIT = "0123456789abcdef0123456789abcdef01234567"
BUNDLE = "s3://credit-risk-mx-staging-artifacts/bundles/credit-risk/v2-9f2c4e6a8b0d/"
FIELDS = {
    "image_uri": IMAGE_V2,
    "market": "mx",
    "environment": "staging",
    "git_commit": COMMIT,
    "model_name": "credit-risk",
    "bundle_prefix": BUNDLE,
}


@pytest.fixture
def release(market: Market) -> Release:
    release = build_release(TargetOptions(function_name=FUNCTION_NAME))
    release.deploy(IMAGE_V2, MODEL_2, SHA_2, reason="CHG-1")
    release.canary()
    return release


def test_a_passed_canary_gives_a_manifest_the_next_environment_deploys(
    release: Release, market: Market, tmp_path: Path
) -> None:
    market.codedeploy.run()
    out = tmp_path / "release-manifest.json"
    result = CliRunner().invoke(
        app,
        ["--function-name", FUNCTION_NAME, "manifest", "--out", str(out)]
        + [f"--{key.replace('_', '-')}={value}" for key, value in FIELDS.items()],
    )
    assert result.exit_code == 0, result.stderr

    written = json.loads(out.read_text())
    assert written["schema"] == SCHEMA
    assert (written["image_uri"], written["model_version"], written["model_sha256"]) == (
        IMAGE_V2,
        MODEL_2,
        SHA_2,
    )
    assert written["function_version"] == "2"
    deployed = release.deploy_manifest(out)
    assert (deployed.image_uri, deployed.model_sha256, deployed.version) == (IMAGE_V2, SHA_2, "2")


def test_no_manifest_while_the_canary_runs_or_after_it_rolled_back(
    release: Release, market: Market
) -> None:
    with pytest.raises(RefusedError, match="in progress"):
        release.manifest(**FIELDS)
    market.codedeploy.advance()
    market.set_alarm(CANARY_ALARMS[0], "ALARM")
    market.codedeploy.advance()
    with pytest.raises(RefusedError, match="not a successful release"):
        release.manifest(**FIELDS)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:latest"}, "by digest"),
        ({"model_sha256": "x"}, "64 hex"),
        ({"schema": "something-else/1"}, "is not a"),
    ],
)
def test_a_manifest_that_does_not_pin_the_artefact_is_refused(
    tmp_path: Path, change: dict[str, str], match: str
) -> None:
    manifest = {
        "schema": SCHEMA,
        **FIELDS,
        "model_version": MODEL_2,
        "model_sha256": SHA_2,
        "function_version": "2",
        "deployment_id": "d-1",
        "released_at": "2026-11-26T12:00:00+00:00",
        **change,
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    with pytest.raises(RefusedError, match=match):
        ReleaseManifest.read(path)
