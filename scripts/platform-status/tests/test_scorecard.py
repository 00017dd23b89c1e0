"""`make scorecard`: the committed mapping names real tests, and the score follows their results."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from typer.testing import CliRunner

from platform_status.cli import app
from platform_status.scorecard import (
    MAPPING_PATH,
    SECTIONS,
    NodeId,
    alarm_blocks,
    compute,
    find_alarm,
    load_mapping,
)

REPO = Path(__file__).resolve().parents[3]
MAPPING = load_mapping(REPO / MAPPING_PATH)
MAPPED = sorted({node for entry in MAPPING.values() for node in entry.get("tests", [])})


def _defined_tests(path: Path) -> set[str]:
    """Node-id tails (`test` or `Class::test`) defined in a test module, read without importing."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.add(node.name)
        elif isinstance(node, ast.ClassDef):
            found |= {
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return found


@pytest.mark.parametrize("node", MAPPED)
def test_every_mapped_test_exists_in_the_repository(node: str) -> None:
    parsed = NodeId.parse(node)
    path = REPO / parsed.file
    assert path.is_file(), f"{node}: no file {parsed.file}"
    tail = parsed.name if parsed.cls is None else f"{parsed.cls}::{parsed.name}"
    assert tail in _defined_tests(path), f"{node}: {parsed.file} defines no {tail}"
    assert (REPO / parsed.suite / "tests").is_dir()


def test_every_manual_procedure_exists_and_every_section_has_seven_tests() -> None:
    for test_id, entry in MAPPING.items():
        if entry["kind"] == "manual":
            assert (REPO / entry["procedure"]).is_file(), test_id
        if entry["kind"] != "automated":
            assert entry.get("missing"), f"{test_id}: say what would earn the full point"
    for prefix, _ in SECTIONS:
        assert sum(1 for test_id in MAPPING if test_id.rstrip("0123456789") == prefix) == 7


def write_junit(folder: Path, outcomes: dict[str, str]) -> None:
    """JUnit reports as `make test` writes them (one file per suite), for the given node ids."""
    folder.mkdir(parents=True, exist_ok=True)
    by_suite: dict[str, list[str]] = {}
    for node, outcome in outcomes.items():
        parsed = NodeId.parse(node)
        child = {"passed": "", "failed": "<failure message='x'/>", "skipped": "<skipped/>"}[outcome]
        # Parametrized tests report one case per parameter set.
        for name in (parsed.name, f"{parsed.name}[a]") if outcome == "passed" else (parsed.name,):
            by_suite.setdefault(parsed.suite, []).append(
                f"<testcase classname={quoteattr(parsed.classname)} name={quoteattr(name)}>"
                f"{child}</testcase>"
            )
    for suite, cases in by_suite.items():
        xml = f"<testsuites><testsuite name='pytest'>{''.join(cases)}</testsuite></testsuites>"
        (folder / f"{suite.replace('/', '_')}.xml").write_text(xml)


def test_a_failing_skipped_or_missing_mapped_test_lowers_the_score(tmp_path: Path) -> None:
    write_junit(tmp_path / "all", dict.fromkeys(MAPPED, "passed"))
    green = compute(REPO, REPO / MAPPING_PATH, tmp_path / "all")
    proven = next(p for p in green.points if p.score == 1.0)
    victim = MAPPING[proven.id]["tests"][0]
    section = proven.id.rstrip("0123456789")

    for outcome in ("failed", "skipped", "missing"):
        results = dict.fromkeys(MAPPED, "passed")
        if outcome == "missing":
            del results[victim]
        else:
            results[victim] = outcome
        write_junit(tmp_path / outcome, results)
        card = compute(REPO, REPO / MAPPING_PATH, tmp_path / outcome)
        point = next(p for p in card.points if p.id == proven.id)
        assert point.score == 0.0, outcome
        assert card.section_scores()[section] == green.section_scores()[section] - 1
        expected = "no result" if outcome == "missing" else outcome
        assert f"{victim}: {expected}" in point.evidence


def test_without_results_no_automated_point_counts(tmp_path: Path) -> None:
    card = compute(REPO, REPO / MAPPING_PATH, tmp_path / "none")
    for point in card.points:
        assert point.score == (0.5 if MAPPING[point.id]["kind"] == "manual" else 0.0)


def _repo_with(tmp_path: Path, alarms_tf: str) -> Path:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    shutil.copy(REPO / MAPPING_PATH, repo / MAPPING_PATH)
    module = repo / "infra" / "modules" / "monitoring"
    module.mkdir(parents=True)
    (module / "alarms.tf").write_text(alarms_tf)
    (repo / "docs" / "adding-a-feature.md").write_text("# runbook\n")
    return repo


ALARM = """
resource "aws_cloudwatch_metric_alarm" "{name}" {{
  alarm_name  = "x-{name}"
  metric_name = "{metric}"
  dimensions = {{
    Check = "{check}"
  }}
}}
"""


def test_an_alert_the_rubric_asks_for_needs_its_alarm_in_terraform(tmp_path: Path) -> None:
    repo = _repo_with(tmp_path, ALARM.format(name="age", metric="ModelAgeDays", check="staleness"))
    write_junit(tmp_path / "all", dict.fromkeys(MAPPED, "passed"))
    card = compute(repo, repo / MAPPING_PATH, tmp_path / "all")
    mon4 = next(p for p in card.points if p.id == "MON4")
    assert mon4.score == 0.0
    assert "alarm on FeatureStoreAgeDays: none in infra" in mon4.evidence

    repo = _repo_with(
        tmp_path / "2",
        ALARM.format(name="age", metric="ModelAgeDays", check="staleness")
        + ALARM.format(name="store", metric="FeatureStoreAgeDays", check="staleness"),
    )
    card = compute(repo, repo / MAPPING_PATH, tmp_path / "all")
    assert next(p for p in card.points if p.id == "MON4").score == 1.0


FOR_EACH_ALARMS = """
locals {
  model_alarms = {
    invariants = {
      metric    = "InvariantViolationCount"
      threshold = 0
    }
    online-quality = {
      metric = "CheckAlert"
      check  = "quality"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "model" {
  for_each    = local.model_alarms
  metric_name = each.value.metric
}
"""


def test_an_alarm_on_the_check_verdict_needs_that_check(tmp_path: Path) -> None:
    blocks = [("a.tf", ALARM.format(name="v", metric="CheckAlert", check="drift"))]
    assert find_alarm("CheckAlert{Check=drift}", blocks) == "a.tf"
    assert find_alarm("CheckAlert{Check=invariants}", blocks) is None
    assert find_alarm("CheckAlert", blocks) == "a.tf"
    assert alarm_blocks(REPO), "the repository's alarms are found"

    # Alarms built with for_each over a map of metrics are found too, each entry on its own.
    repo = _repo_with(tmp_path, FOR_EACH_ALARMS)
    blocks = alarm_blocks(repo)
    assert find_alarm("InvariantViolationCount", blocks) == "infra/modules/monitoring/alarms.tf"
    assert find_alarm("CheckAlert{Check=quality}", blocks) is not None
    assert find_alarm("CheckAlert{Check=invariants}", blocks) is None
    assert find_alarm("NonFiniteCount", blocks) is None


def test_the_command_prints_every_point_with_its_proof_and_the_section_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_junit(tmp_path / "reports", dict.fromkeys(MAPPED, "passed"))
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, ["scorecard", "--reports", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    for test_id in MAPPING:
        assert f"\n  {test_id:<5}" in result.output
    assert f"proof: {MAPPED[0]}: passed" in result.output
    assert "final score (the lowest section):" in result.output
    failing = CliRunner().invoke(
        app, ["scorecard", "--reports", str(tmp_path / "reports"), "--fail-under", "7.5"]
    )
    assert failing.exit_code == 1
