"""The Glue job's Python dependencies reach it as wheels (issue 6 gap).

Glue 5.1 installs `--additional-python-modules` with `pip --no-index` (the job's subnets have no
route to an index), so every third-party module the job imports must either be in the Glue 5.1
runtime or be one of the wheels ci/scripts/upload-glue-script.sh uploads. These tests derive the
expected wheels from the hashed lock on their own, and check the committed manifest, the upload
script (stub pip + moto) and the Terraform wiring against them.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from .conftest import CI_DIR, GLUE_DIR, MODULES, REPO
from .glue_deps import (
    GLUE_PREFIX_KEY,
    LOCK,
    expected_wheels,
    lock_pins,
    manifest_keys,
    name_versions,
    run_upload_script,
    runtime_provided,
)

SOURCES = [*sorted((REPO / "feature-pipeline" / "src").rglob("*.py")), GLUE_DIR / "job.py"]

# What the AWS Glue 5.1 runtime provides, from the AWS Glue developer guide: "Using Python
# libraries with AWS Glue" (aws-glue-programming-python-libraries), section "Python modules
# already provided in AWS Glue", AWS Glue version 5.1 (Python 3.11, Amazon Linux 2023).
GLUE_51_PROVIDED = {
    "aiobotocore": "2.25.1",
    "aiohappyeyeballs": "2.6.1",
    "aiohttp": "3.13.2",
    "aioitertools": "0.12.0",
    "aiosignal": "1.4.0",
    "appdirs": "1.4.4",
    "attrs": "25.4.0",
    "boto3": "1.40.61",
    "botocore": "1.40.61",
    "certifi": "2025.10.5",
    "charset-normalizer": "3.4.4",
    "choreographer": "1.2.0",
    "contourpy": "1.3.3",
    "cycler": "0.12.1",
    "distlib": "0.4.0",
    "filelock": "3.20.0",
    "fonttools": "4.60.1",
    "frozenlist": "1.8.0",
    "fsspec": "2025.10.0",
    "idna": "3.11",
    "iniconfig": "2.3.0",
    "jmespath": "1.0.1",
    "kaleido": "1.2.0",
    "kiwisolver": "1.4.9",
    "logistro": "2.0.1",
    "matplotlib": "3.10.7",
    "multidict": "6.7.0",
    "narwhals": "2.10.2",
    "numpy": "2.3.4",
    "orjson": "3.11.4",
    "packaging": "25.0",
    "pandas": "2.3.3",
    "pillow": "12.0.0",
    "pip": "24.0",
    "platformdirs": "4.5.0",
    "plotly": "6.4.0",
    "pluggy": "1.6.0",
    "propcache": "0.4.1",
    "pyarrow": "22.0.0",
    "pygments": "2.19.2",
    "pyparsing": "3.2.5",
    "pytest-timeout": "2.4.0",
    "pytest": "8.4.2",
    "python-dateutil": "2.9.0.post0",
    "pytz": "2025.2",
    "requests": "2.32.5",
    "s3fs": "2025.10.0",
    "s3transfer": "0.14.0",
    "seaborn": "0.13.2",
    "setuptools": "79.0.1",
    "simplejson": "3.20.2",
    "six": "1.17.0",
    "tenacity": "9.1.2",
    "typing-extensions": "4.15.0",
    "tzdata": "2025.2",
    "urllib3": "2.5.0",
    "uv": "0.9.7",
    "virtualenv": "20.35.4",
    "wrapt": "1.17.3",
    "yarl": "1.22.0",
}
# The job's Spark 3.5.6 itself (not pip-installed on Glue, so not in that list).
SPARK_RUNTIME = {"pyspark", "py4j"}
# Modules that exist only on Glue (job.py imports them behind a fallback).
GLUE_ONLY_IMPORTS = {"awsglue"}
# The environment the wheels are installed into, for evaluating dependency markers.
GLUE_MARKER_ENV = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_machine": "x86_64",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "extra": "",
}


# -- the lock, the Glue runtime list and the manifest --


def test_the_lock_is_hashed_and_has_the_runtime_dependencies() -> None:
    text = LOCK.read_text()
    pins = lock_pins()
    assert {"typer", "pydantic-settings", "sqlalchemy", "psycopg2-binary"} <= set(pins)
    assert text.count("==") == len(pins)
    assert text.count("--hash=sha256:") >= len(pins)


def test_runtime_provided_lists_only_what_glue_51_documents() -> None:
    provided = runtime_provided()
    assert provided <= set(GLUE_51_PROVIDED) | SPARK_RUNTIME, (
        f"not in the Glue 5.1 runtime, must be shipped: {provided - set(GLUE_51_PROVIDED)}"
    )
    assert provided <= set(lock_pins()), f"not in the lock: {provided - set(lock_pins())}"


def test_manifest_is_the_lock_minus_the_glue_runtime() -> None:
    keys = manifest_keys()
    assert name_versions(keys) == expected_wheels(), (
        "feature-pipeline/glue/wheels.txt is stale: run "
        "`ci/scripts/upload-glue-script.sh --write-manifest` and commit it"
    )
    prefixes = {key.rsplit("/", 1)[0] for key in keys}
    assert len(prefixes) == 1, f"one versioned prefix expected, got {prefixes}"
    assert re.fullmatch(r"wheels/[0-9a-f]{16}", prefixes.pop())


def test_manifest_wheels_install_on_glue_51() -> None:
    """CPython 3.11 (or pure Python), manylinux x86_64 with glibc <= 2.34 (Glue 5.1's tags)."""
    for key in manifest_keys():
        _, _, _, tags = parse_wheel_filename(key.rsplit("/", 1)[-1])
        assert any(
            t.interpreter in {"cp311", "py3", "py311"}
            and t.abi in {"cp311", "abi3", "none"}
            and (
                t.platform == "any"
                or t.platform == "manylinux2014_x86_64"
                or (
                    (m := re.fullmatch(r"manylinux_2_(\d+)_x86_64", t.platform))
                    and int(m.group(1)) <= 34
                )
            )
            for t in tags
        ), f"{key} has no tag Glue 5.1 can install"


# -- what the code imports is in Glue or shipped, with everything those wheels need --


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif (  # importlib.import_module("x") and the pipeline's _LATE_MODULES preload list
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_LATE_MODULES" for t in node.targets)
            and isinstance(node.value, ast.Tuple)
        ):
            found.update(
                e.value.split(".")[0]
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def third_party_imports() -> set[str]:
    modules = set().union(*(_imported_modules(p) for p in SOURCES))
    # SQLAlchemy loads the DB-API driver named in the job's --online_store URL.
    main = (MODULES / "feature_pipeline" / "main.tf").read_text()
    modules.update(re.findall(r'"--online_store"\s*=\s*"postgresql\+(\w+)://', main))
    # feature_pipeline_jvm (local JVM tuning, same distribution) is imported by the CLI only,
    # never on the Glue path (feature-pipeline/tests/test_glue_job.py checks that).
    first_party = {"feature_pipeline", "feature_pipeline_jvm", "__future__"}
    return modules - set(sys.stdlib_module_names) - first_party


def test_every_third_party_import_is_in_glue_or_shipped() -> None:
    modules = third_party_imports()
    assert {"typer", "pydantic_settings", "sqlalchemy", "psycopg2", "pyspark"} <= modules
    assert modules >= GLUE_ONLY_IMPORTS
    distributions = metadata.packages_distributions()
    shipped = set(expected_wheels())
    in_glue = set(GLUE_51_PROVIDED) | SPARK_RUNTIME
    missing = {}
    for module in sorted(modules - GLUE_ONLY_IMPORTS):
        dists = {canonicalize_name(d) for d in distributions.get(module, [])}
        assert dists, f"{module} is imported but not installed in .venv"
        if not dists & (shipped | in_glue):
            missing[module] = dists
    assert not missing, f"imported, not in Glue 5.1 and not shipped as a wheel: {missing}"


def _requirements(dist: str) -> list[Requirement]:
    found = []
    for text in metadata.requires(dist) or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(GLUE_MARKER_ENV):
            found.append(requirement)
    return found


def test_shipped_wheels_are_installable_with_no_index() -> None:
    """pip --no-index must find every dependency of every shipped wheel among the shipped wheels
    or in the Glue 5.1 runtime, at a version the requirement accepts (e.g. pydantic needs a newer
    typing-extensions than Glue 5.1 has, so typing-extensions is shipped)."""
    shipped = expected_wheels()
    problems = []
    for name, version in shipped.items():
        assert metadata.version(name) == version, f".venv has {name} {metadata.version(name)}"
        for requirement in _requirements(name):
            dep = canonicalize_name(requirement.name)
            have = shipped.get(dep) or GLUE_51_PROVIDED.get(dep)
            if have is None:
                problems.append(f"{name} needs {requirement}: neither shipped nor in Glue 5.1")
            elif not requirement.specifier.contains(have, prereleases=True):
                problems.append(f"{name} needs {requirement}, would get {dep} {have}")
    assert not problems, "\n".join(problems)


def test_installability_check_can_fail() -> None:
    # Glue 5.1's typing-extensions (4.15.0) does not satisfy the locked pydantic.
    needs = next(r for r in _requirements("pydantic") if r.name == "typing-extensions")
    assert not needs.specifier.contains(GLUE_51_PROVIDED["typing-extensions"])


# -- the upload script (stub pip + moto S3) --


def _keys(bucket: str, endpoint: str) -> set[str]:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


@pytest.fixture
def upload_bucket(moto_endpoint: str) -> tuple[str, str]:
    """A fresh bucket on the shared moto server (no reset: other modules' resources stay)."""
    bucket = f"glue-upload-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return bucket, moto_endpoint


def test_upload_script_uploads_the_script_package_and_exactly_the_manifest_wheels(
    tmp_path: Path, upload_bucket: tuple[str, str]
) -> None:
    bucket, endpoint = upload_bucket
    run = run_upload_script(tmp_path, f"s3://{bucket}/{GLUE_PREFIX_KEY}")
    assert run.returncode == 0, run.output
    assert _keys(bucket, endpoint) == {
        f"{GLUE_PREFIX_KEY}job.py",
        f"{GLUE_PREFIX_KEY}feature_pipeline.zip",
        *(f"{GLUE_PREFIX_KEY}{key}" for key in manifest_keys()),
    }
    # pip was asked for exactly the lock's pins minus the Glue runtime, each with its hashes,
    # as binaries for Glue 5.1's platform, without resolving anything else.
    args = run.pip["args"]
    assert args[0] == "download"
    for flag in ("--no-deps", "--only-binary=:all:", "--require-hashes"):
        assert flag in args
    assert args[args.index("--python-version") + 1] == "3.11"
    platforms = {args[i + 1] for i, a in enumerate(args) if a == "--platform"}
    assert "manylinux2014_x86_64" in platforms
    assert all(p.endswith("_x86_64") for p in platforms)
    requirements = run.pip["requirements"]
    pins = dict(re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", requirements, re.M))
    assert {canonicalize_name(n): v for n, v in pins.items()} == expected_wheels()
    for block in re.split(r"\n(?=\S)", requirements.strip()):
        assert "--hash=sha256:" in block, f"unhashed: {block.splitlines()[0]}"


@pytest.mark.parametrize(
    "extra", ["numpy-1.26.4-cp311-cp311-manylinux2014_x86_64.whl", "typer-0.0.1-py3-none-any.whl"]
)
def test_upload_script_uploads_nothing_when_the_download_differs_from_the_manifest(
    tmp_path: Path, upload_bucket: tuple[str, str], extra: str
) -> None:
    bucket, endpoint = upload_bucket
    run = run_upload_script(tmp_path, f"s3://{bucket}/{GLUE_PREFIX_KEY}", extra_wheels=(extra,))
    assert run.returncode != 0
    assert "does not match the lock" in run.output
    assert _keys(bucket, endpoint) == set()


def test_glue_buildspec_runs_the_upload_script_with_the_job_prefix() -> None:
    spec = yaml.safe_load((CI_DIR / "buildspecs" / "upload-glue-script.yml").read_text())
    commands = [c for phase in spec["phases"].values() for c in phase.get("commands", [])]
    assert "ci/scripts/upload-glue-script.sh" in commands
    cicd = (MODULES / "cicd" / "main.tf").read_text()
    assert 'buildspec   = "ci/buildspecs/upload-glue-script.yml"' in cicd
    assert f'GLUE_S3_PREFIX = "s3://${{var.artifacts_bucket_name}}/{GLUE_PREFIX_KEY}"' in cicd


# -- the Terraform wiring --


def test_module_passes_the_wheels_with_no_index() -> None:
    main = (MODULES / "feature_pipeline" / "main.tf").read_text()
    assert re.search(r'"--additional-python-modules"\s*=\s*join\(",", var.python_wheels\)', main)
    assert re.search(r'"--python-modules-installer-option"\s*=\s*"--no-index"', main)


def test_platform_wires_the_manifest_under_the_upload_prefix() -> None:
    text = (MODULES / "platform" / "main.tf").read_text()
    block = text[text.index("python_wheels = [") :]
    block = block[: block.index("]\n")]
    assert "/feature-pipeline/glue/wheels.txt" in block
    assert 'glue_prefix = "glue/feature_pipeline/"' in text
    assert GLUE_PREFIX_KEY == "glue/feature_pipeline/"
    assert "${local.glue_prefix}${key}" in block
    services = (MODULES / "platform" / "services.tf").read_text()
    assert "python_wheels         = local.python_wheels" in services
