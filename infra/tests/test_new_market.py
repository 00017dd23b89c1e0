"""`make new-market MARKET=<code> REGION=<region>`: the scaffold, its refusals, and the roots it
writes (init + validate both, plan co/staging against moto once the placeholders are replaced;
with the placeholders left in, the plan is refused)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path

import pytest

from .conftest import INFRA, REPO, TEMPLATE
from .jobs import NEW_MARKET, NewMarket, load_new_market, wait

new_market = load_new_market()
SCRIPT = INFRA / "scripts/new_market.py"


def test_scaffold_writes_both_environments_from_the_template(
    new_market_job: Future[NewMarket],
) -> None:
    result = wait(new_market_job)
    market, region = NEW_MARKET
    assert [p.relative_to(result.live_dir) for p in result.created] == [
        Path(market, "staging"),
        Path(market, "prod"),
    ]
    for root in result.created:
        for name in new_market.VERBATIM:
            assert (root / name).read_text() == (TEMPLATE / name).read_text()
        backend = (root / "backend.tf").read_text()
        assert f'key          = "{market}/{root.name}/terraform.tfstate"' in backend
        assert f'region       = "{region}"' in backend
        tfvars = (root / "terraform.tfvars").read_text()
        assert f'market             = "{market}"' in tfvars
        assert f'environment        = "{root.name}"' in tfvars
        assert "$" not in tfvars + backend, "a template placeholder was left"


def test_scaffolded_roots_validate(new_market_job: Future[NewMarket]) -> None:
    for env, report in wait(new_market_job).validate.items():
        assert report["valid"], f"{env}: {report['diagnostics']}"


def test_scaffolded_staging_plans_the_whole_market(new_market_job: Future[NewMarket]) -> None:
    plan = wait(new_market_job).staging_plan
    created = {c["type"] for c in plan["resource_changes"] if c["change"]["actions"] == ["create"]}
    assert {
        "aws_db_instance",
        "aws_db_proxy",
        "aws_glue_job",
        "aws_lambda_function",
        "aws_codebuild_project",
        "aws_codepipeline",
        "aws_sfn_state_machine",
        "aws_secretsmanager_secret",
    } <= created
    names = {
        c["change"]["after"]["function_name"]
        for c in plan["resource_changes"]
        if c["type"] == "aws_lambda_function"
    }
    assert names == {"credit-risk-co-staging-inference", "credit-risk-co-staging-monitoring"}


def test_placeholders_and_a_bad_code_are_refused_at_plan(new_market_job: Future[NewMarket]) -> None:
    stderr = " ".join(wait(new_market_job).refused_plan_stderr.split())
    assert "placeholder account 000000000000" in stderr
    assert "two-letter lower-case ISO 3166-1" in stderr


@pytest.mark.parametrize(
    ("market", "region", "message"),
    [
        ("mx", "mx-central-1", "market 'mx' already exists"),
        ("col", "us-east-1", "is not a market code"),
        ("CO", "us-east-1", "is not a market code"),
        ("co", "us-east-9", "is not an AWS region"),
        ("co", "mars-north-1", "is not an AWS region"),
    ],
)
def test_bad_requests_are_refused_with_a_clear_message(
    tmp_path: Path, market: str, region: str, message: str
) -> None:
    live = tmp_path / "live"
    (live / "mx" / "staging").mkdir(parents=True)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), market, region, "--live-dir", str(live)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert sorted(p.name for p in live.iterdir()) == ["mx"], "something was written"


def test_make_target_prints_the_next_steps(tmp_path: Path) -> None:
    live = tmp_path / "live"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "pe", "sa-east-1", "--live-dir", str(live)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Next steps" in proc.stdout
    assert "infra/bootstrap" in proc.stdout
    assert "run-db-bootstrap.sh" in proc.stdout
    assert (live / "pe" / "prod" / "terraform.tfvars").is_file()
    makefile = (REPO / "Makefile").read_text()
    assert "new-market:" in makefile
    assert "infra/scripts/new_market.py $(MARKET) $(REGION)" in makefile


def test_a_failed_scaffold_leaves_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "template"
    broken.mkdir()
    (broken / "main.tf").write_text("")
    with pytest.raises(FileNotFoundError):
        new_market.scaffold("pe", "sa-east-1", tmp_path / "live", template=broken)
    assert not (tmp_path / "live" / "pe").exists()


def test_a_region_without_the_pipeline_services_is_warned_about() -> None:
    """Per botocore's endpoint data; the market itself is still scaffolded."""
    for region in ("sa-east-1", "mx-central-1"):
        missing = [
            s
            for s in new_market.PIPELINE_SERVICES
            if region not in new_market.regions_offering((s,))
        ]
        warning = new_market.pipeline_warning(region)
        assert bool(warning) == bool(missing), region
        for service in missing:
            assert service in warning
