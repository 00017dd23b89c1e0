"""ci/: buildspecs parse and call only commands that exist (repo scripts, Makefile targets,
console scripts declared by our packages, or tools of the CodeBuild image); scripts are valid
bash; every CodeBuild project of the cicd module points at an existing buildspec."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import CI_DIR, MODULES, REPO

BUILDSPECS = sorted((CI_DIR / "buildspecs").glob("*.yml"))
SCRIPTS = sorted((CI_DIR / "scripts").glob("*.sh"))

# Provided by the CodeBuild standard image (aws/codebuild/standard:7.0) or the training image.
IMAGE_TOOLS = {
    "aws",
    "docker",
    "git",
    "python",
    "python3",
    "pip",
    "make",
    "terraform",
    "mktemp",
    "realpath",
    "basename",
    "dirname",
    "cat",
    "cp",
    "mv",
    "rm",
    "mkdir",
    "tail",
    "id",
    "tee",
}
# Shell builtins and keywords: not commands that need to exist anywhere.
SHELL_WORDS = {
    "set",
    "cd",
    "echo",
    "printf",
    "test",
    "[",
    "exit",
    "export",
    "case",
    "esac",
    "in",
    "if",
    "then",
    "else",
    "elif",
    "fi",
    "for",
    "do",
    "done",
    "while",
    "trap",
    "local",
    "return",
    ":",
    "true",
    "false",
    "{",
    "}",
    "!",
    ";;",
    "shift",
    "read",
    "wait",
}


def console_scripts() -> set[str]:
    scripts: set[str] = set()
    for pyproject in REPO.glob("**/pyproject.toml"):
        if ".venv" in pyproject.parts or "node_modules" in pyproject.parts:
            continue
        data = tomllib.loads(pyproject.read_text())
        scripts.update(data.get("project", {}).get("scripts", {}))
    return scripts


def make_targets() -> set[str]:
    makefile = REPO / "Makefile"
    if not makefile.exists():
        return set()
    return set(re.findall(r"^([A-Za-z0-9_-]+):", makefile.read_text(), re.M))


def _simple_commands(line: str) -> list[list[str]]:
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        tokens = line.split()
    commands: list[list[str]] = []
    current: list[str] = []
    for token in [*tokens, ";"]:
        if token and set(token) <= set(";&|()"):
            if current:
                commands.append(current)
            current = []
        else:
            current.append(token)
    return commands


def command_words(script: str) -> list[tuple[str, list[str]]]:
    """(command, args) of every simple command in a shell snippet, including those inside
    $(...) substitutions. Heuristic, but errs on the side of reporting unknown commands."""
    found: list[tuple[str, list[str]]] = []
    script = script.replace("\\\n", " ")  # join continuation lines
    for raw in script.splitlines():
        line = re.sub(r"\d*>&\d|\d*>>?\s*\S+|<\s*\S+", " ", raw).strip()  # drop redirections
        if not line or line.startswith("#") or re.match(r"^[A-Za-z0-9_*|-]+\)$", line):
            continue  # blank, comment, or a `case` pattern such as `train)`
        for words in _simple_commands(line):
            while words and (
                re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0])
                or words[0] in {"then", "else", "do", "!", "{"}
            ):
                words = words[1:]
            if not words or words[0] in SHELL_WORDS:
                continue
            if not re.match(r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$", words[0]):
                continue  # `$VAR`, quoted leftovers: not a command name
            found.append((words[0], words[1:]))
        for inner in re.findall(r"\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)", raw):
            found.extend(command_words(inner))
    return found


def check_command(command: str, args: list[str], where: str) -> None:
    if command == "make":
        targets = [a for a in args if not a.startswith("-") and "=" not in a]
        missing = set(targets) - make_targets()
        assert not missing, f"{where}: Makefile has no target(s) {missing}"
        return
    if "/" in command:
        path = REPO / command.removeprefix("./")
        assert path.is_file(), f"{where}: {command} does not exist in the repo"
        if not command.startswith(".venv"):
            assert path.stat().st_mode & 0o111, f"{where}: {command} is not executable"
        return
    known = IMAGE_TOOLS | console_scripts()
    assert command in known, f"{where}: unknown command {command!r}"


def buildspec_commands(spec: dict[str, Any]) -> list[str]:
    commands = []
    for phase in spec.get("phases", {}).values():
        commands.extend(phase.get("commands", []))
        commands.extend(phase.get("finally", []) or [])
    return commands


@pytest.mark.parametrize("path", BUILDSPECS, ids=lambda p: p.name)
def test_buildspec_parses_and_has_commands(path: Path) -> None:
    spec = yaml.safe_load(path.read_text())
    assert spec["version"] == 0.2
    assert buildspec_commands(spec), "no commands"


@pytest.mark.parametrize("path", BUILDSPECS, ids=lambda p: p.name)
def test_buildspec_calls_only_existing_commands(path: Path) -> None:
    spec = yaml.safe_load(path.read_text())
    for command in buildspec_commands(spec):
        for word, args in command_words(command):
            check_command(word, args, path.name)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_script_is_valid_bash_and_calls_existing_commands(path: Path) -> None:
    assert path.stat().st_mode & 0o111, "not executable"
    text = path.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    for word, args in command_words(text):
        if word.startswith(".venv/bin/") or word.startswith("../.venv/bin/"):
            tool = word.rsplit("/", 1)[1]
            assert tool in console_scripts() | {"python", "ruff", "mypy", "pytest", "checkov"}, word
            continue
        check_command(word, args, path.name)


def _check_all(snippet: str) -> None:
    for word, args in command_words(snippet):
        check_command(word, args, "probe")


@pytest.mark.parametrize(
    ("snippet", "error"),
    [
        ("make setup && frobnicate --all", "unknown command"),
        ("echo $(frobnicate)", "unknown command"),
        ("ci/scripts/nope.sh", "does not exist"),
        ("make definitely-not-a-target", "no target"),
    ],
)
def test_checker_rejects_unknown_commands(snippet: str, error: str) -> None:
    with pytest.raises(AssertionError, match=error):
        _check_all(snippet)


def test_makefile_has_the_targets_ci_uses() -> None:
    assert {"setup"} <= make_targets(), "root Makefile must define `setup` (used by buildspecs)"


def test_every_codebuild_project_points_at_an_existing_buildspec() -> None:
    text = "\n".join(p.read_text() for p in (MODULES / "cicd").glob("*.tf"))
    referenced = set(re.findall(r'"(ci/buildspecs/[a-z0-9-]+\.yml)"', text))
    assert referenced, "no buildspecs referenced"
    for path in referenced:
        assert (REPO / path).is_file(), f"cicd references missing {path}"
    unused = (
        {str(p.relative_to(REPO)) for p in BUILDSPECS} - referenced - {"ci/buildspecs/train.yml"}
    )
    assert not unused, f"buildspecs no project uses: {unused}"


def test_training_buildspec_is_passed_to_terraform() -> None:
    main = (REPO / "infra/live/mx/staging/main.tf").read_text()
    assert 'file("${path.root}/../../../../ci/buildspecs/train.yml")' in main


def test_image_build_exports_what_deploy_reads() -> None:
    build = yaml.safe_load((CI_DIR / "buildspecs/build-image.yml").read_text())
    assert "IMAGE_URI" in build["env"]["exported-variables"]
    pipeline = (MODULES / "cicd/pipeline.tf").read_text()
    assert "#{ImageInference.IMAGE_URI}" in pipeline
    assert 'namespace       = "Image${title(action.key)}"' in pipeline
