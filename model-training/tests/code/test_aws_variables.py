"""The AWS SDKs' variables reach every boto3 client: AWS_REGION (which boto3 alone ignores),
AWS_DEFAULT_REGION, AWS_PROFILE, AWS_ENDPOINT_URL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from model_training import aws
from model_training.db_auth import rds_token
from model_training.lake import S3Location

# (variables set, region every client must use). A profile's region comes from AWS_CONFIG_FILE.
REGION_CASES = [
    ({"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "us-east-1"}, "eu-west-3"),
    ({"AWS_REGION": "eu-west-3", "AWS_PROFILE": "market"}, "eu-west-3"),
    ({"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
    ({"AWS_PROFILE": "market"}, "sa-east-1"),
]


@pytest.fixture
def aws_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[[dict[str, str]], None]:
    config = tmp_path / "aws-config"
    config.write_text("[profile market]\nregion = sa-east-1\n")
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

    return apply


def token_region(token: str) -> str:
    """The region an RDS IAM token was signed for (its credential scope)."""
    credential = parse_qs(urlparse(f"https://{token}").query)["X-Amz-Credential"][0]
    return credential.split("/")[2]


@pytest.mark.parametrize(("variables", "region"), REGION_CASES)
def test_registry_tokens_and_s3_use_the_region_of_the_variables(
    aws_variables: Callable[[dict[str, str]], None], variables: dict[str, str], region: str
) -> None:
    aws_variables(variables)
    assert token_region(rds_token("proxy.example", 5432, "mlflow")) == region
    assert S3Location("lake", "features").client.meta.region_name == region
    assert aws.client("s3").meta.region_name == region  # publish.py's bundle uploads


def test_s3_goes_to_the_endpoint_of_aws_endpoint_url(
    aws_variables: Callable[[dict[str, str]], None],
) -> None:
    aws_variables({"AWS_REGION": "eu-west-3", "AWS_ENDPOINT_URL": "http://emulator.example:4566"})
    location = S3Location("lake", "features")
    assert location.client.meta.endpoint_url == "http://emulator.example:4566"
