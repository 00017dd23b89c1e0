"""Run an inner pytest session in a subprocess, as a suite using the plugin would be run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class InnerRun:
    returncode: int
    results: dict[str, str]  # test name -> passed / failure / error / skipped
    output: str

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(self.results.values())


def inner_env(overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in (overrides or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def write_inner_suite(directory: Path, source: str) -> Path:
    (directory / "pytest.ini").write_text("[pytest]\n")
    test_file = directory / "test_inner.py"
    test_file.write_text(textwrap.dedent(source))
    return test_file


def pytest_command(directory: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rsE",
        "-p",
        "no:cacheprovider",
        "-c",
        str(directory / "pytest.ini"),
        "--rootdir",
        str(directory),
        f"--junitxml={directory / 'report.xml'}",
        str(directory / "test_inner.py"),
    ]


def run_inner_pytest(
    directory: Path, source: str, env: Mapping[str, str | None] | None = None
) -> InnerRun:
    write_inner_suite(directory, source)
    completed = subprocess.run(
        pytest_command(directory),
        cwd=directory,
        env=inner_env(env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return InnerRun(
        returncode=completed.returncode,
        results=read_results(directory / "report.xml"),
        output=completed.stdout + completed.stderr,
    )


def read_results(report: Path) -> dict[str, str]:
    """Outcome per test from the JUnit report (the worst one if teardown also errored)."""
    results: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314 - our own file
        children = {child.tag for child in case}
        outcome = next(
            (tag for tag in ("error", "failure", "skipped") if tag in children), "passed"
        )
        results[case.get("name", "?")] = outcome
    return results
