"""What the Glue job must receive as wheels, derived from the hashed lock independently of
ci/scripts/glue_wheels.py, and a way to run ci/scripts/upload-glue-script.sh offline: a stub
`pip` on PATH stands in for the package index, the real `aws` CLI uploads to the moto server
(AWS_ENDPOINT_URL).

The stub records its arguments and the requirements file it was given, and writes one fake wheel
per pinned entry, named as the index would name it (the committed manifest's file for that
name==version; an obviously wrong name otherwise, which the script must then refuse).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_wheel_filename

from .conftest import CI_DIR, GLUE_DIR, REPO, tool_missing

SCRIPT = CI_DIR / "scripts" / "upload-glue-script.sh"
MANIFEST = GLUE_DIR / "wheels.txt"
LOCK = REPO / "feature-pipeline" / "requirements.txt"
# Where the cicd module's glue-script project uploads (GLUE_S3_PREFIX) and the roots point the job.
GLUE_PREFIX_KEY = "glue/feature_pipeline/"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.M)


def lock_pins() -> dict[str, str]:
    return {canonicalize_name(n): v for n, v in PIN.findall(LOCK.read_text())}


def runtime_provided() -> set[str]:
    lines = (GLUE_DIR / "runtime-provided.txt").read_text().splitlines()
    return {canonicalize_name(line.split("#")[0].strip()) for line in lines} - {""}


def expected_wheels() -> dict[str, str]:
    """name -> version of every lock entry the job must receive as a wheel."""
    return {n: v for n, v in lock_pins().items() if n not in runtime_provided()}


def manifest_keys() -> list[str]:
    """The committed manifest's keys (wheels/<digest>/<file>.whl, under the Glue prefix)."""
    return [line for line in MANIFEST.read_text().splitlines() if line and line[0] != "#"]


def name_versions(paths: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in paths:
        name, version, _, _ = parse_wheel_filename(path.rsplit("/", 1)[-1])
        assert name not in found, f"two wheels for {name}"
        found[name] = str(version)
    return found


def check_job_wheel_arguments(arguments: dict[str, str], bucket: str) -> None:
    """The Glue job's default arguments install exactly the lock's wheels, from the manifest's
    keys in bucket, with pip never reaching an index."""
    paths = arguments["--additional-python-modules"].split(",")
    assert name_versions(paths) == expected_wheels()
    assert paths == [f"s3://{bucket}/{GLUE_PREFIX_KEY}{key}" for key in manifest_keys()]
    assert arguments["--python-modules-installer-option"].split() == ["--no-index"]


_STUB = '''#!{python}
"""Stub pip: `pip download ... --dest DIR -r FILE` writes one fake wheel per pin."""
import json, re, sys
from pathlib import Path

args = sys.argv[1:]
dest = Path(args[args.index("--dest") + 1])
requirements = Path(args[args.index("-r") + 1]).read_text()
Path({record!r}).write_text(json.dumps({{"args": args, "requirements": requirements}}))

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

known = {{}}
for line in Path({manifest!r}).read_text().splitlines():
    if line.endswith(".whl"):
        file = line.rsplit("/", 1)[1]
        name, version = file.split("-")[:2]
        known[(norm(name), version)] = file
dest.mkdir(parents=True, exist_ok=True)
pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\\s\\\\]+)", requirements, re.M)
for name, version in pins:
    file = known.get((norm(name), version), f"{{name}}-{{version}}-cp399-none-unknown.whl")
    (dest / file).write_bytes(f"fake wheel {{name}}=={{version}}".encode())
for extra in {extra!r}:
    (dest / extra).write_bytes(b"unexpected")
'''


@dataclass(frozen=True)
class UploadRun:
    returncode: int
    output: str
    pip: dict[str, Any]  # {"args": [...], "requirements": "..."} as the stub saw them


def run_upload_script(
    tmp_path: Path, prefix: str, *, extra_wheels: tuple[str, ...] = ()
) -> UploadRun:
    """Run the upload script against GLUE_S3_PREFIX=prefix with the stub pip."""
    aws = shutil.which("aws")
    if not aws:
        tool_missing("no `aws` CLI on PATH (the upload script uploads with it)")
    stub_dir = tmp_path / "stub-bin"
    stub_dir.mkdir()
    record = tmp_path / "pip-call.json"
    stub = stub_dir / "pip"
    stub.write_text(
        _STUB.format(
            python=sys.executable,
            record=str(record),
            manifest=str(MANIFEST),
            extra=list(extra_wheels),
        )
    )
    stub.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{stub_dir}{os.pathsep}{os.environ['PATH']}",
        "GLUE_S3_PREFIX": prefix,
    }
    proc = subprocess.run(
        ["bash", str(SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    pip = json.loads(record.read_text()) if record.exists() else {}
    return UploadRun(proc.returncode, proc.stdout + proc.stderr, pip)
