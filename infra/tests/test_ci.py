"""ci/: buildspecs parse and call only commands that exist (repo scripts, Makefile targets,
console scripts declared by our packages, or tools of the build images); scripts are valid bash;
every CodeBuild project of the cicd module points at an existing buildspec; the pipeline tests
every suite that ships before it builds an image; terraform is the pinned one; failures notify;
the image build bakes in only a bundle whose model hash checks out (run against moto)."""

from __future__ import annotations

import ast
import hashlib
import json
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

from .conftest import CI_DIR, LIVE, MODULES, REPO, tool_missing
from .test_hcl_conventions import parse

BUILDSPECS = sorted((CI_DIR / "buildspecs").glob("*.yml"))
SCRIPTS = sorted((CI_DIR / "scripts").glob("*.sh"))

# Provided by the CI tools image (ci/image), the CodeBuild standard image (Docker builds) or the
# training image.
IMAGE_TOOLS = {
    "cut",
    "sed",
    "touch",
    "tr",
    "zip",
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
    # Shell functions the snippet defines are commands that exist.
    defined = set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{", script, re.M))
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
    return [(word, args) for word, args in found if word not in defined]


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


def test_image_build_exports_what_deploy_and_publish_read() -> None:
    build = yaml.safe_load((CI_DIR / "buildspecs/build-image.yml").read_text())
    exported = set(build["env"]["exported-variables"])
    pipeline = (MODULES / "cicd/pipeline.tf").read_text()
    read = set(re.findall(r"#\{ImageInference\.([A-Z0-9_]+)\}", pipeline))
    assert read == exported == {"IMAGE_URI", "MODEL_VERSION", "MODEL_SHA256", "BUNDLE_PREFIX"}
    assert 'namespace       = "Image${replace(title(action.key), "-", "")}"' in pipeline
    # infra-apply runs db-bootstrap with the image this execution built.
    assert '"#{ImageDbBootstrap.IMAGE_URI}"' in pipeline
    apply = yaml.safe_load((CI_DIR / "buildspecs/infra-apply.yml").read_text())
    assert apply["phases"]["build"]["commands"][-1] == "ci/scripts/run-db-bootstrap.sh"
    deploy = (CI_DIR / "scripts/deploy-inference.sh").read_text()
    assert '--model-sha256 "$MODEL_SHA256"' in deploy


# --- every suite that ships runs before any image is built ------------------------------------


def _run_suites() -> list[str]:
    tree = ast.parse((REPO / "scripts/dev/run_suites.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SUITES":
            return [ast.literal_eval(element) for element in node.value.elts]  # type: ignore[attr-defined]
    raise AssertionError("scripts/dev/run_suites.py has no SUITES")


def _pipeline_suites() -> set[str]:
    (variable,) = [
        body
        for v in parse(MODULES / "cicd/variables.tf")["variable"]
        for name, body in v.items()
        if name == "test_suites"
    ]
    return set(variable["default"])


def test_the_pipeline_tests_every_suite_make_test_runs() -> None:
    shipped = {str(p.parent.relative_to(REPO)) for p in REPO.glob("*/tests") if p.is_dir()}
    shipped |= {str(p.parent.relative_to(REPO)) for p in REPO.glob("scripts/*/tests")}
    shipped -= {"scripts/dev"}
    assert set(_run_suites()) == shipped, "run_suites.SUITES misses a folder with tests/"
    assert _pipeline_suites() == shipped, "cicd test_suites must be every suite (make test)"


def test_tests_run_before_any_image_is_built() -> None:
    pipeline = (MODULES / "cicd/pipeline.tf").read_text()
    stages = re.findall(r'^      name = "([A-Za-z]+)"$|^    name = "([A-Za-z]+)"$', pipeline, re.M)
    order = [a or b for a, b in stages]
    assert (
        order.index("Source") < order.index("Test") < order.index("Build") < order.index("Deploy")
    )
    build = pipeline[pipeline.index('name = "Build"') : pipeline.index('name = "Plan"')]
    assert "image-${action.key}" in build


def test_every_suite_buildspec_runs_its_suite_in_ci_mode() -> None:
    spec = yaml.safe_load((CI_DIR / "buildspecs/test-suite.yml").read_text())
    assert spec["env"]["variables"]["CI"] == "true"
    assert 'ci/scripts/test-suite.sh "$SUITE"' in buildspec_commands(spec)
    main = (MODULES / "cicd/main.tf").read_text()
    assert "SUITE = s" in main


# --- a pinned terraform, without a download URL -----------------------------------------------

DOCKERFILE = CI_DIR / "image/Dockerfile"


def test_the_ci_image_copies_terraform_from_the_official_image_pinned_by_digest() -> None:
    text = DOCKERFILE.read_text()
    pin = re.search(
        r"^FROM hashicorp/terraform:(\d+)\.(\d+)\.(\d+)@sha256:[0-9a-f]{64} AS terraform$",
        text,
        re.M,
    )
    assert pin, "terraform must come from hashicorp/terraform:<version>@sha256:<digest>"
    assert (int(pin[1]), int(pin[2])) >= (1, 10), "the roots require terraform >= 1.10"
    assert "COPY --from=terraform /bin/terraform /usr/local/bin/terraform" in text
    providers = (CI_DIR / "image/providers.tf").read_text()
    for versions in LIVE.glob("*/*/versions.tf"):
        pinned = re.search(r'version = "= ([0-9.]+)"', versions.read_text())
        assert pinned, f"{versions} pins no provider version"
        assert f'version = "{pinned[1]}"' in providers, f"{versions}: provider not mirrored"


def test_no_ci_file_names_a_download_url_or_package_index() -> None:
    hosts = re.compile(r"https?://|pypi\.org|pythonhosted|npmjs|releases\.hashicorp\.com")
    offenders = [
        str(path.relative_to(REPO))
        for path in CI_DIR.rglob("*")
        if path.is_file() and hosts.search(path.read_text(errors="replace"))
    ]
    assert not offenders


def _runs_terraform(command: str) -> bool:
    for word, _ in command_words(command):
        if word == "terraform":
            return True
        path = REPO / word
        if word.startswith("ci/scripts/") and path.is_file() and "terraform " in path.read_text():
            return word != "ci/scripts/check-terraform.sh"
    return False


@pytest.mark.parametrize("path", BUILDSPECS, ids=lambda p: p.name)
def test_buildspecs_that_run_terraform_check_it_is_the_pinned_one(path: Path) -> None:
    commands = buildspec_commands(yaml.safe_load(path.read_text()))
    if any(_runs_terraform(command) for command in commands):
        assert commands[0] == "ci/scripts/check-terraform.sh", f"{path.name} must check first"


def test_check_terraform_accepts_the_pinned_version_and_refuses_another(tmp_path: Path) -> None:
    if not shutil.which("terraform"):
        tool_missing("no terraform on PATH")
    script = CI_DIR / "scripts/check-terraform.sh"
    local = json.loads(
        subprocess.run(
            ["terraform", "version", "-json"], capture_output=True, text=True, check=True
        ).stdout
    )["terraform_version"]
    fake = tmp_path / "ci"
    (fake / "scripts").mkdir(parents=True)
    (fake / "image").mkdir()
    shutil.copy(script, fake / "scripts/check-terraform.sh")
    for version, expected in [(local, 0), ("0.12.31", 1)]:
        (fake / "image/Dockerfile").write_text(
            f"FROM hashicorp/terraform:{version}@sha256:{'0' * 64} AS terraform\n"
        )
        proc = subprocess.run(
            ["bash", str(fake / "scripts/check-terraform.sh")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == expected, proc.stdout + proc.stderr


def test_projects_other_than_docker_builds_run_in_the_ci_tools_image() -> None:
    main = (MODULES / "cicd/main.tf").read_text()
    selection = 'each.value.kind == "image" ? var.build_image : local.ci_tools_image'
    assert re.search(r"^    image += " + re.escape(selection) + "$", main, re.M)


# --- failures reach the platform's topic ------------------------------------------------------


def test_pipeline_build_and_deployment_failures_notify_the_topic() -> None:
    text = (MODULES / "cicd/notifications.tf").read_text()
    for source, states in [
        ("aws.codepipeline", '"FAILED", "STOPPED"'),
        ("aws.codebuild", '"FAILED", "FAULT", "TIMED_OUT", "STOPPED"'),
        ("aws.codedeploy", '"FAILURE", "STOP"'),
    ]:
        assert f'source      = ["{source}"]' in text
        assert states in text
    assert "arn       = local.notification_topic_arn" in text
    assert "local.training_project_name" in text


# --- the image bakes in exactly the bundle it names -------------------------------------------


def _publish_bundle(s3: object, bucket: str, version: str, model: bytes, declared: str) -> str:
    sha = hashlib.sha256(model).hexdigest()
    prefix = f"bundles/credit-risk/v{version}-{sha[:12]}/"
    metadata = {"schema_version": 2, "model_version": version, "model_sha256": declared}
    s3.put_object(Bucket=bucket, Key=prefix + "model.onnx", Body=model)  # type: ignore[attr-defined]
    s3.put_object(Bucket=bucket, Key=prefix + "metadata.json", Body=json.dumps(metadata))  # type: ignore[attr-defined]
    pointer = {
        "model_name": "credit-risk",
        "model_version": version,
        "prefix": prefix.split("/")[-2] + "/",
        "model_sha256": sha,
    }
    s3.put_object(Bucket=bucket, Key="bundles/credit-risk/champion.json", Body=json.dumps(pointer))  # type: ignore[attr-defined]
    return f"s3://{bucket}/{prefix}"


def _fetch(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    if not shutil.which("aws"):
        tool_missing("no `aws` CLI on PATH (fetch-bundle.sh downloads with it)")
    tree = tmp_path / "repo"
    (tree / "ci/scripts").mkdir(parents=True, exist_ok=True)
    (tree / "inference-service").mkdir(exist_ok=True)
    for name in ("fetch-bundle.sh", "bundle_check.py"):
        shutil.copy(CI_DIR / "scripts" / name, tree / "ci/scripts" / name)
    return subprocess.run(
        ["bash", str(tree / "ci/scripts/fetch-bundle.sh")],
        env={**os.environ, "IMAGE_CONTEXT": "inference-service", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def artifacts_bucket(moto_endpoint: str) -> str:
    """A bucket of its own: the emulator root is applied on the same server meanwhile, so these
    tests must not reset it."""
    name = f"artifacts-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def test_fetch_bundle_bakes_in_the_champion_it_verified(
    artifacts_bucket: str, tmp_path: Path
) -> None:
    s3 = boto3.client("s3")
    model = b"onnx bytes of model 7"
    prefix = _publish_bundle(s3, artifacts_bucket, "7", model, hashlib.sha256(model).hexdigest())

    run = _fetch(
        tmp_path, BUNDLE_POINTER=f"s3://{artifacts_bucket}/bundles/credit-risk/champion.json"
    )

    assert run.returncode == 0, run.stdout + run.stderr
    tree = tmp_path / "repo"
    assert (tree / "inference-service/bundle/model.onnx").read_bytes() == model
    assert (tree / "build/bundle-prefix").read_text().strip() == prefix
    assert (tree / "build/model-version").read_text().strip() == "7"
    assert (tree / "build/model-sha256").read_text().strip() == hashlib.sha256(model).hexdigest()


@pytest.mark.parametrize("tamper", ["metadata", "pointer"])
def test_fetch_bundle_refuses_a_model_that_does_not_match_its_hash(
    artifacts_bucket: str, tmp_path: Path, tamper: str
) -> None:
    s3 = boto3.client("s3")
    model = b"onnx bytes of model 8"
    declared = "0" * 64 if tamper == "metadata" else hashlib.sha256(model).hexdigest()
    prefix = _publish_bundle(s3, artifacts_bucket, "8", model, declared)
    if tamper == "pointer":
        pointer = json.loads(
            s3.get_object(Bucket=artifacts_bucket, Key="bundles/credit-risk/champion.json")[
                "Body"
            ].read()
        )
        s3.put_object(
            Bucket=artifacts_bucket,
            Key="bundles/credit-risk/champion.json",
            Body=json.dumps({**pointer, "model_sha256": "1" * 64}),
        )

    run = _fetch(
        tmp_path, BUNDLE_POINTER=f"s3://{artifacts_bucket}/bundles/credit-risk/champion.json"
    )

    assert run.returncode == 1
    assert "hashes to" in run.stderr
    assert not (tmp_path / "repo/build/model-sha256").exists()
    # The candidate named explicitly (the retraining flow's BUNDLE_PREFIX) is checked the same way.
    explicit = _fetch(tmp_path, BUNDLE_PREFIX=prefix)
    assert explicit.returncode == (1 if tamper == "metadata" else 0), explicit.stderr


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
