"""ci/: buildspecs parse and call only commands that exist (repo scripts, Makefile targets,
console scripts declared by our packages, or tools of the CodeBuild image); scripts are valid
bash; every CodeBuild project of the cicd module points at an existing buildspec."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from .conftest import CI_DIR, MODULES, REPO, tool_missing

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
    "sleep",
}
# Console scripts DESIGN.md decided whose package lands from another branch: accepted while the
# package does not exist yet; once it does, it must declare them.
PENDING_CONSOLE_SCRIPTS = {"db-bootstrap": REPO / "scripts/db-bootstrap/pyproject.toml"}
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
    pending = PENDING_CONSOLE_SCRIPTS.get(command)
    if pending is not None and not pending.exists():
        return
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
    # Buildspecs of the NO_SOURCE projects (training, db-bootstrap) are read by the platform.
    platform = "\n".join(p.read_text() for p in (MODULES / "platform").glob("*.tf"))
    as_text = set(
        re.findall(r'file\("\$\{local\.repo_root\}/(ci/buildspecs/[a-z0-9-]+\.yml)"\)', platform)
    )
    assert as_text == {"ci/buildspecs/train.yml", "ci/buildspecs/db-bootstrap.yml"}
    for path in referenced | as_text:
        assert (REPO / path).is_file(), f"infra references missing {path}"
    unused = {str(p.relative_to(REPO)) for p in BUILDSPECS} - referenced - as_text
    assert not unused, f"buildspecs no project uses: {unused}"


def test_pending_console_scripts_are_declared_once_their_package_exists() -> None:
    for command, pyproject in PENDING_CONSOLE_SCRIPTS.items():
        if pyproject.exists():
            assert command in console_scripts(), f"{pyproject} does not declare {command}"


def test_image_build_exports_what_deploy_reads() -> None:
    build = yaml.safe_load((CI_DIR / "buildspecs/build-image.yml").read_text())
    assert "IMAGE_URI" in build["env"]["exported-variables"]
    pipeline = (MODULES / "cicd/pipeline.tf").read_text()
    assert "#{ImageInference.IMAGE_URI}" in pipeline
    assert 'namespace       = "Image${replace(title(action.key), "-", "")}"' in pipeline
    # infra-apply runs db-bootstrap with the image this execution built.
    assert '"#{ImageDbBootstrap.IMAGE_URI}"' in pipeline
    apply = yaml.safe_load((CI_DIR / "buildspecs/infra-apply.yml").read_text())
    assert apply["phases"]["build"]["commands"][-1] == "ci/scripts/run-db-bootstrap.sh"


# -- ci/scripts/run-db-bootstrap.sh with the real aws CLI on moto ---------------------------------

RUN_DB_BOOTSTRAP = CI_DIR / "scripts/run-db-bootstrap.sh"
IMAGE_REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/db-bootstrap"


def _run_db_bootstrap(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if not shutil.which("aws"):
        tool_missing("no `aws` CLI on PATH (run-db-bootstrap.sh calls it)")
    return subprocess.run(
        ["bash", str(RUN_DB_BOOTSTRAP)],
        env={**os.environ, "POLL_SECONDS": "0", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_db_bootstrap_starts_the_project_and_waits_for_success(moto_endpoint: str) -> None:
    codebuild = boto3.client("codebuild", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = f"db-bootstrap-{uuid.uuid4().hex[:8]}"
    codebuild.create_project(
        name=name,
        source={"type": "S3", "location": "artifacts/db-bootstrap.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": f"{IMAGE_REPO}:bootstrap",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole="arn:aws:iam::123456789012:role/db-bootstrap",
    )
    try:
        proc = _run_db_bootstrap(
            {
                "AWS_DEFAULT_REGION": "us-east-1",
                "DB_BOOTSTRAP_PROJECT": name,
                "DB_BOOTSTRAP_IMAGE_URI": f"{IMAGE_REPO}:abc",
            }
        )
        assert proc.returncode == 0, proc.stderr
        assert "succeeded" in proc.stdout
        assert len(codebuild.list_builds_for_project(projectName=name)["ids"]) == 1
    finally:
        codebuild.delete_project(name=name)


def test_run_db_bootstrap_fails_when_the_build_cannot_start(moto_endpoint: str) -> None:
    proc = _run_db_bootstrap(
        {"AWS_DEFAULT_REGION": "us-east-1", "DB_BOOTSTRAP_PROJECT": "no-such-project"}
    )
    assert proc.returncode != 0
    assert "no-such-project" in proc.stderr
    unset = _run_db_bootstrap({"DB_BOOTSTRAP_PROJECT": ""})
    assert unset.returncode != 0
    assert "DB_BOOTSTRAP_PROJECT is required" in unset.stderr
