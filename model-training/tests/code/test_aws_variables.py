"""The AWS SDKs' variables reach this service's boto3 clients: AWS_REGION (which boto3 alone
ignores) before AWS_DEFAULT_REGION before the profile's region; AWS_ENDPOINT_URL."""

from __future__ import annotations

import pytest

from model_training import aws
from model_training.db_auth import rds_token
from model_training.lake import S3Location
from platform_testkit.aws_variables import EMULATOR, REGION_CASES, SetVariables, token_region


@pytest.mark.parametrize(("variables", "region"), REGION_CASES)
def test_registry_tokens_and_s3_use_the_region_of_the_variables(
    aws_variables: SetVariables, variables: dict[str, str], region: str
) -> None:
    aws_variables(variables)
    assert token_region(rds_token("proxy.example", 5432, "mlflow")) == region
    assert S3Location("lake", "features").client.meta.region_name == region
    assert aws.client("s3").meta.region_name == region  # publish.py's bundle uploads


def test_s3_goes_to_the_endpoint_of_aws_endpoint_url(aws_variables: SetVariables) -> None:
    aws_variables(EMULATOR)
    location = S3Location("lake", "features")
    assert location.client.meta.endpoint_url == EMULATOR["AWS_ENDPOINT_URL"]
