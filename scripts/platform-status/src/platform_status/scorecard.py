"""The ML Test Score (docs/ml-test-score.md) computed from the last test results.

A committed mapping (docs/ml-test-score-map.toml) names, for each of the 28 test ids, how it is
met and the proof:

* ``kind = "automated"``: pytest node ids (``<suite>/tests/<file>.py::<test>``) that fail when
  the property breaks. The point counts 1 only if every mapped test has a result in the suites'
  JUnit reports (``make test`` writes them to var/test-reports/) and every result passed; a
  missing, skipped or failed test makes it 0 and says which.
  Where the rubric asks that a violation *alerts* in production, ``alarms`` names the metrics
  (``Metric`` or ``Metric{Check=name}``; one inner list = alternatives) that must have a
  CloudWatch alarm in infra/modules: without one the point is 0 however green its tests.
* ``kind = "manual"``: a documented procedure (``procedure``, a file of the repository) whose
  result is recorded: 0.5 when the document exists.
* ``kind = "none"``: 0, with what is missing.
"""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platform_status.errors import StatusError

SECTIONS = (
    ("D", "Data"),
    ("M", "Model development"),
    ("I", "ML infrastructure"),
    ("MON", "Monitoring"),
)
TESTS_PER_SECTION = 7
KINDS = ("automated", "manual", "none")
MAPPING_PATH = Path("docs/ml-test-score-map.toml")
REPORTS_PATH = Path("var/test-reports")
ALARM_MODULES = Path("infra/modules")
_ALARM_BLOCK = re.compile(r'^resource "aws_cloudwatch_metric_alarm" ', re.M)
_METRIC_KEY = re.compile(r'^\s*(metric_name|metric)\s*=\s*"', re.M)
_ALARM_SPEC = re.compile(r"^(?P<metric>[A-Za-z0-9]+)(\{(?P<dim>[A-Za-z_]+)=(?P<value>[a-z_]+)\})?$")


@dataclass(frozen=True)
class NodeId:
    """``<suite>/tests/<path>.py::[Class::]test``, as pytest prints it from the repository root."""

    suite: str
    module: str  # dotted, as JUnit's classname: tests.test_x
    cls: str | None
    name: str
    text: str

    @classmethod
    def parse(cls, text: str) -> NodeId:
        path, _, rest = text.partition("::")
        suite, marker, inner = path.partition("/tests/")
        parts = rest.split("::") if rest else []
        if not marker or not inner.endswith(".py") or not 1 <= len(parts) <= 2 or not suite:
            raise StatusError(f"not a pytest node id <suite>/tests/<file>.py::<test>: {text!r}")
        module = "tests." + inner.removesuffix(".py").replace("/", ".")
        return cls(suite, module, parts[0] if len(parts) == 2 else None, parts[-1], text)

    @property
    def file(self) -> Path:
        return Path(self.suite) / (self.module.replace(".", "/") + ".py")

    @property
    def classname(self) -> str:
        return self.module if self.cls is None else f"{self.module}.{self.cls}"


@dataclass(frozen=True)
class Point:
    id: str
    score: float
    title: str
    proof: str
    evidence: tuple[str, ...]  # per test: "<node id>: passed|failed|skipped|no result"
    missing: str = ""


@dataclass
class Scorecard:
    points: list[Point] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)

    def section(self, prefix: str) -> list[Point]:
        return [p for p in self.points if p.id.rstrip("0123456789") == prefix]

    def section_scores(self) -> dict[str, float]:
        return {prefix: sum(p.score for p in self.section(prefix)) for prefix, _ in SECTIONS}

    @property
    def final(self) -> float:
        return min(self.section_scores().values())


# --- test results --------------------------------------------------------------------------


def read_results(report_dir: Path) -> tuple[dict[tuple[str, str, str], list[str]], list[str]]:
    """(suite file stem, classname, test name) -> outcomes of its cases, and the reports read."""
    results: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    read: list[str] = []
    for path in sorted(report_dir.glob("*.xml")) if report_dir.is_dir() else []:
        try:
            root = ET.parse(path).getroot()  # noqa: S314 - pytest's own output
        except ET.ParseError as error:
            raise StatusError(f"{path} is not a JUnit report: {error}") from error
        read.append(path.name)
        for case in root.iter("testcase"):
            outcome = "passed"
            for child in case:
                if child.tag in ("failure", "error"):
                    outcome = "failed"
                    break
                if child.tag == "skipped":
                    outcome = "skipped"
            results[(path.stem, case.get("classname", ""), case.get("name", ""))].append(outcome)
    return results, read


def _suite_stem(suite: str) -> str:
    return suite.replace("/", "_")


def outcome(node: NodeId, results: dict[tuple[str, str, str], list[str]]) -> str:
    """passed (every case, parameters included), failed, skipped or no result."""
    stem = _suite_stem(node.suite)
    found: list[str] = []
    for (suite, classname, name), outcomes in results.items():
        if suite != stem or not (
            classname == node.classname or classname.endswith("." + node.classname)
        ):
            continue
        if name == node.name or name.startswith(node.name + "["):
            found += outcomes
    if not found:
        return "no result"
    for worst in ("failed", "skipped"):
        if worst in found:
            return worst
    return "passed"


# --- the mapping -----------------------------------------------------------------------------


def load_mapping(path: Path) -> dict[str, dict[str, Any]]:
    try:
        mapping = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise StatusError(f"cannot read the scorecard mapping {path}: {error}") from error
    expected = [f"{prefix}{n}" for prefix, _ in SECTIONS for n in range(1, TESTS_PER_SECTION + 1)]
    if sorted(mapping) != sorted(expected):
        absent = sorted(set(expected) - set(mapping))
        extra = sorted(set(mapping) - set(expected))
        raise StatusError(f"{path} must map exactly the 28 ids; absent {absent}, unknown {extra}")
    for test_id, entry in mapping.items():
        if entry.get("kind") not in KINDS:
            raise StatusError(f"{path} [{test_id}]: kind must be one of {KINDS}")
        if entry["kind"] == "automated" and not entry.get("tests"):
            raise StatusError(f"{path} [{test_id}]: an automated point needs its tests")
        if entry["kind"] == "manual" and not entry.get("procedure"):
            raise StatusError(f"{path} [{test_id}]: a manual point needs its procedure document")
        for node in entry.get("tests", []):
            NodeId.parse(node)
        for alternatives in entry.get("alarms", []):
            for spec in alternatives:
                parse_alarm_spec(spec)
    return mapping


def alarm_blocks(repo: Path) -> list[tuple[str, str]]:
    """(file, text) of every Terraform object that sets an alarm's metric.

    Alarms are written two ways: a resource per alarm (`metric_name = "X"` in its body), or one
    resource with `for_each` over a map of objects (`metric = "X"` in each object). In files that
    declare a CloudWatch metric alarm, every object with either key is taken, with what it
    contains (the dimensions block of a resource, the `check` of a map entry).
    """
    found: list[tuple[str, str]] = []
    for tf in sorted((repo / ALARM_MODULES).rglob("*.tf")):
        text = tf.read_text()
        if not _ALARM_BLOCK.search(text):
            continue
        for match in _METRIC_KEY.finditer(text):
            found.append((str(tf.relative_to(repo)), _enclosing_object(text, match.start())))
    return found


def _enclosing_object(text: str, position: int) -> str:
    """The text of the innermost `{ ... }` around ``position`` (HCL braces; strings ignored)."""
    depth, begin = 0, 0
    for index in range(position, -1, -1):
        if text[index] == "}":
            depth += 1
        elif text[index] == "{":
            if depth == 0:
                begin = index
                break
            depth -= 1
    depth = 0
    for index in range(begin, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[begin : index + 1]
    return text[begin:]


def parse_alarm_spec(spec: str) -> tuple[str, tuple[str, str] | None]:
    match = _ALARM_SPEC.match(spec)
    if match is None:
        raise StatusError(f"not an alarm spec Metric or Metric{{Dimension=value}}: {spec!r}")
    dim = (match["dim"], match["value"]) if match["dim"] else None
    return match["metric"], dim


def find_alarm(spec: str, blocks: list[tuple[str, str]]) -> str | None:
    """The file of an alarm on the metric (and dimension value), or None."""
    metric, dim = parse_alarm_spec(spec)
    for file, block in blocks:
        if not re.search(rf'^\s*(metric_name|metric)\s*=\s*"{metric}"', block, re.M):
            continue
        if dim is None or re.search(rf'^\s*{dim[0]}\s*=\s*"{dim[1]}"', block, re.M | re.I):
            return file
    return None


def _alarm_evidence(entry: dict[str, Any], blocks: list[tuple[str, str]]) -> list[str]:
    lines = []
    for alternatives in entry.get("alarms", []):
        hits = [(spec, find_alarm(spec, blocks)) for spec in alternatives]
        where = next(((spec, file) for spec, file in hits if file), None)
        wanted = " or ".join(alternatives)
        lines.append(
            f"alarm on {where[0]}: {where[1]}" if where else f"alarm on {wanted}: none in infra"
        )
    return lines


def score_point(
    test_id: str,
    entry: dict[str, Any],
    results: dict[tuple[str, str, str], list[str]],
    repo: Path,
    blocks: list[tuple[str, str]] | None = None,
) -> Point:
    kind = entry["kind"]
    title, proof, missing = entry.get("title", ""), entry.get("proof", ""), entry.get("missing", "")
    if kind == "automated":
        tests = [f"{node}: {outcome(NodeId.parse(node), results)}" for node in entry["tests"]]
        alarms = _alarm_evidence(entry, blocks or [])
        evidence = (*tests, *alarms)
        proven = all(line.endswith(": passed") for line in tests) and not any(
            line.endswith(": none in infra") for line in alarms
        )
        return Point(test_id, 1.0 if proven else 0.0, title, proof, evidence, missing)
    if kind == "manual":
        procedure = entry["procedure"]
        exists = (repo / procedure).is_file()
        evidence = (f"{procedure}: {'documented' if exists else 'MISSING'}",)
        return Point(test_id, 0.5 if exists else 0.0, title, proof, evidence, missing)
    return Point(test_id, 0.0, title, proof, (), missing)


def compute(repo: Path, mapping_path: Path, report_dir: Path) -> Scorecard:
    mapping = load_mapping(mapping_path)
    results, read = read_results(report_dir)
    card = Scorecard(reports=read)
    blocks = alarm_blocks(repo)
    for prefix, _ in SECTIONS:
        for n in range(1, TESTS_PER_SECTION + 1):
            test_id = f"{prefix}{n}"
            card.points.append(score_point(test_id, mapping[test_id], results, repo, blocks))
    return card


def render(card: Scorecard, report_dir: Path) -> str:
    lines: list[str] = []
    if not card.reports:
        lines.append(f"no test results in {report_dir}: run `make test` (automated points count 0)")
    scores = card.section_scores()
    for prefix, name in SECTIONS:
        lines.append(f"\n{name} ({prefix}): {scores[prefix]:g} / {TESTS_PER_SECTION}")
        for point in card.section(prefix):
            lines.append(f"  {point.id:<5}{point.score:>4g}  {point.title}")
            if point.proof:
                lines.append(f"             how: {point.proof}")
            lines += [f"             proof: {line}" for line in point.evidence]
            if point.missing:
                lines.append(f"             missing: {point.missing}")
    lines.append("")
    lines.append(
        "sections: "
        + ", ".join(f"{name} {scores[prefix]:g}" for prefix, name in SECTIONS)
        + f"; final score (the lowest section): {card.final:g}"
    )
    return "\n".join(lines)
