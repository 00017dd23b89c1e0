"""The AWS SDKs' variables a service must honour, as test cases (fixture `aws_variables`).

boto3 reads AWS_PROFILE, AWS_ENDPOINT_URL and AWS_DEFAULT_REGION, but not AWS_REGION, the
region variable of the AWS CLI (where it wins over AWS_DEFAULT_REGION) and of the other SDKs;
each service passes it on. A test sets a case with the fixture and checks the region its
clients (or the RDS tokens it mints) use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

PROFILE = "market"
PROFILE_REGION = "sa-east-1"
# (variables set, the region every client must use). The profile's region is PROFILE_REGION.
REGION_CASES: list[tuple[dict[str, str], str]] = [
    ({"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "us-east-1"}, "eu-west-3"),
    ({"AWS_REGION": "eu-west-3", "AWS_PROFILE": PROFILE}, "eu-west-3"),
    ({"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
    ({"AWS_PROFILE": PROFILE}, PROFILE_REGION),
]
EMULATOR = {"AWS_REGION": "eu-west-3", "AWS_ENDPOINT_URL": "http://emulator.example:4566"}

SetVariables = Callable[[dict[str, str]], None]


def variables_setter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SetVariables]:
    """No region, profile or endpoint variable; a config file holding the profile; fake keys."""
    import boto3

    config = tmp_path / "aws-config"
    config.write_text(f"[profile {PROFILE}]\nregion = {PROFILE_REGION}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    # boto3's default session keeps the config file it read first; a process reads it once.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)

    def apply(variables: dict[str, str]) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    yield apply


def token_region(token: str) -> str:
    """The region an RDS IAM token was signed for (its credential scope)."""
    credential = parse_qs(urlparse(f"https://{token}").query)["X-Amz-Credential"][0]
    return credential.split("/")[2]
