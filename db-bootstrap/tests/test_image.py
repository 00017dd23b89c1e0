"""The db-bootstrap image, booted from the file tree its Dockerfile builds (no Docker here).

platform_testkit assembles the tree from the Dockerfile itself (the hashed lock installed for
manylinux x86_64 / CPython 3.11, wheels only; the package built with the backend of the hashed
build lock) and runs the image's `db-bootstrap` command in `python -I -S`, which sees only that
tree and the standard library. The deployed command line is the buildspec's, with the
environment the CodeBuild project of infra/modules/db_bootstrap sets.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
import yaml
from test_bootstrap import ROLES, can_log_in, local_endpoint, secret_value

from platform_testkit.image_tree import ImageTree
from platform_testkit.postgres import Endpoint

REPO = Path(__file__).resolve().parents[2]
BUILDSPEC = REPO / "ci" / "buildspecs" / "db-bootstrap.yml"
__all__ = ["local_endpoint"]  # the fixture, shared with the in-process tests


@pytest.fixture(scope="module")
def image(image_tree: Callable[..., ImageTree]) -> ImageTree:
    # Build context: the repository root (the Dockerfile's header; infra/tests check the
    # pipeline builds it that way).
    return image_tree(REPO / "db-bootstrap" / "Dockerfile", REPO)


def buildspec_command() -> list[str]:
    """The one command ci/buildspecs/db-bootstrap.yml runs in this image."""
    (command,) = yaml.safe_load(BUILDSPEC.read_text())["phases"]["build"]["commands"]
    return shlex.split(command)


def test_the_command_is_the_trees_own(image: ImageTree) -> None:
    report = image.isolation_report()
    assert report["flags"] == [1, 1]
    assert report["host_modules"] == []
    assert report["foreign"] == []
    shown = image.run()  # CMD ["--help"]
    assert shown.returncode == 0, shown.stderr
    assert "--master-secret-arn" in shown.stdout
    assert "--service-secrets" in shown.stdout
    located = image.probe("import db_bootstrap; print(db_bootstrap.__file__)")
    assert located.startswith(str(image.host_path("/opt/db-bootstrap/db_bootstrap")))


def test_the_buildspec_command_bootstraps_with_the_master_secret(
    image: ImageTree, local_endpoint: Endpoint, aws_reset: str
) -> None:
    client = boto3.client("secretsmanager")
    master = client.create_secret(
        Name="rds!db-0123",
        SecretString=json.dumps({"username": "rds_master", "password": "m" * 30}),
    )["ARN"]
    secrets = {role: client.create_secret(Name=f"feature-store/{role}")["ARN"] for role in ROLES}
    assert local_endpoint.ca_file is not None
    project_environment = {
        "DB_BOOTSTRAP_MASTER_SECRET_ARN": master,
        "DB_BOOTSTRAP_HOST": local_endpoint.host,
        "DB_BOOTSTRAP_PORT": str(local_endpoint.port),
        "DB_BOOTSTRAP_SERVICE_SECRETS": ",".join(f"{r}={a}" for r, a in sorted(secrets.items())),
        "DB_BOOTSTRAP_SSLROOTCERT": str(local_endpoint.ca_file),
    }
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    os.environ.update(project_environment)  # for the shell's $VARIABLE expansion only
    try:
        argv = [os.path.expandvars(arg) for arg in buildspec_command()]
    finally:
        for key in project_environment:
            del os.environ[key]
    assert argv[0] == "db-bootstrap"

    ran = image.run(argv[1:], env={**aws, **project_environment})

    assert ran.returncode == 0, ran.stderr
    assert "as rds_master (sslmode verify-full)" in ran.stdout
    for role in ROLES:
        stored = secret_value(secrets[role])
        assert stored["username"] == role
        assert can_log_in(local_endpoint, role, stored["password"])
    assert "m" * 30 not in ran.stdout + ran.stderr
