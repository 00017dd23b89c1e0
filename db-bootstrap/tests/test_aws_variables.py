"""The AWS SDKs' variables reach this service's boto3 clients: AWS_REGION (which boto3 alone
ignores) before AWS_DEFAULT_REGION before the profile's region; AWS_ENDPOINT_URL."""

from __future__ import annotations

import pytest

from db_bootstrap.cli import _secrets_client
from platform_testkit.aws_variables import EMULATOR, REGION_CASES, SetVariables


@pytest.mark.parametrize(("variables", "region"), REGION_CASES)
def test_the_secrets_client_uses_the_region_of_the_variables(
    aws_variables: SetVariables, variables: dict[str, str], region: str
) -> None:
    aws_variables(variables)
    assert _secrets_client().meta.region_name == region


def test_the_secrets_client_goes_to_the_endpoint_of_aws_endpoint_url(
    aws_variables: SetVariables,
) -> None:
    aws_variables(EMULATOR)
    assert _secrets_client().meta.endpoint_url == EMULATOR["AWS_ENDPOINT_URL"]
