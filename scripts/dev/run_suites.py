"""Run every package's pytest suite in its own process and print one combined verdict.

Each service behaves like its own repository (its own tests/, conftest.py and rootdir), so the
suites are not merged into one pytest session; this runner keeps them separate, collects their
JUnit reports and closes with a single `N passed, N failed, N skipped` line for the whole repo.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Each suite's JUnit report of its last run: `make scorecard` reads them (docs/ml-test-score.md).
REPORT_DIR = REPO / "var" / "test-reports"
# In start order when suites run in parallel: the longest first (2026-12-05: feature-pipeline
# ~350 s, infra ~230-280 s, e2e ~130 s and growing, model-training ~80 s, the rest under 30 s).
# feature-pipeline starts at once: queued behind e2e it started ~130 s late, more as e2e grows.
SUITES = [
    "feature-pipeline",
    "e2e",
    "infra",
    "model-training",
    "risk-monitoring",
    "inference-service",
    "scripts/release-tool",
    "scripts/platform-status",
    "scripts/platform-testkit",
    "db-bootstrap",
    "scripts/loan-generator",
]


@dataclass
class SuiteResult:
    name: str
    exit_code: int
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0


def read_junit(path: Path, result: SuiteResult) -> None:
    if not path.exists():
        return
    root = ET.parse(path).getroot()  # noqa: S314 - our own pytest output
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    for suite in suites:
        tests = int(suite.get("tests", 0))
        result.failed += int(suite.get("failures", 0))
        result.errors += int(suite.get("errors", 0))
        result.skipped += int(suite.get("skipped", 0))
        result.passed += (
            tests
            - int(suite.get("failures", 0))
            - int(suite.get("errors", 0))
            - int(suite.get("skipped", 0))
        )


def run_suite(name: str, report_dir: Path, extra: list[str]) -> SuiteResult:
    """Run one suite, its output buffered and printed whole when it ends (suites may overlap)."""
    tests_dir = REPO / name / "tests"
    stem = name.replace("/", "_")
    junit = report_dir / f"{stem}.xml"
    log = report_dir / f"{stem}.log"
    cmd = [sys.executable, "-m", "pytest", str(tests_dir), f"--junitxml={junit}", "-q", *extra]
    started = time.monotonic()
    with log.open("wb") as output:
        proc = subprocess.run(
            cmd, cwd=REPO / name, env=os.environ.copy(), stdout=output, stderr=output, check=False
        )
    result = SuiteResult(name=name, exit_code=proc.returncode)
    result.seconds = time.monotonic() - started
    read_junit(junit, result)
    print(f"\n=== {name} ({result.seconds:.0f}s) ===", flush=True)
    sys.stdout.write(log.read_text(errors="replace"))
    sys.stdout.flush()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suites", nargs="*", help="subset of suites (folders) to run")
    parser.add_argument("--pytest-args", default="", help="extra arguments for every pytest run")
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("SUITE_JOBS", "2")),
        help="suites run at once (default 2: much of a suite's time is waiting on a JVM, "
        "Terraform or an emulator, so two overlap well on 2 cores)",
    )
    args = parser.parse_args()
    selected = args.suites or [s for s in SUITES if (REPO / s / "tests").is_dir()]
    unknown = [s for s in selected if not (REPO / s / "tests").is_dir()]
    if unknown:
        print(f"no tests/ folder in: {', '.join(unknown)}", file=sys.stderr)
        return 2

    # Longest first, so the slow suites do not end up running alone at the end.
    ordered = sorted(selected, key=lambda s: SUITES.index(s) if s in SUITES else len(SUITES))
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    for name in ordered:  # a suite that crashes must not leave its previous results behind
        (REPORT_DIR / f"{name.replace('/', '_')}.xml").unlink(missing_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            name: pool.submit(run_suite, name, REPORT_DIR, args.pytest_args.split())
            for name in ordered
        }
        results = [futures[name].result() for name in selected]

    print("\n=== summary ===")
    for r in results:
        # pytest exits 5 when a suite collected nothing: an empty suite is a failure here.
        status = "ok" if r.exit_code == 0 else f"FAILED (exit {r.exit_code})"
        print(
            f"{r.name:<24} {r.passed:>4} passed {r.failed + r.errors:>3} failed "
            f"{r.skipped:>3} skipped {r.seconds:7.1f}s  {status}"
        )
    passed = sum(r.passed for r in results)
    failed = sum(r.failed + r.errors for r in results)
    skipped = sum(r.skipped for r in results)
    broken = [r.name for r in results if r.exit_code != 0]
    if broken and failed == 0:
        failed = len(broken)  # a suite that crashed before reporting still counts as a failure
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    print_scorecard()
    return 1 if broken else 0


def print_scorecard() -> None:
    """The ML Test Score these results prove (informative: the suites decide the exit code)."""
    command = Path(sys.executable).parent / "platform-status"
    if not command.exists():
        print("no platform-status command: run make setup for the ML Test Score", file=sys.stderr)
        return
    print("\n=== ML Test Score (docs/ml-test-score.md) ===", flush=True)
    subprocess.run([str(command), "scorecard", "--reports", str(REPORT_DIR)], cwd=REPO, check=False)


if __name__ == "__main__":
    sys.exit(main())
