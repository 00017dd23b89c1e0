"""The AWS SDKs' variables reach this service's boto3 clients: AWS_REGION (which boto3 alone
ignores) before AWS_DEFAULT_REGION before the profile's region; AWS_ENDPOINT_URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from platform_testkit.aws_variables import EMULATOR, REGION_CASES, SetVariables
from release_tool.cli import aws_session


@pytest.fixture(autouse=True)
def _fresh_session() -> Iterator[None]:
    aws_session.cache_clear()  # one session per process: each case is a new process here
    yield
    aws_session.cache_clear()


@pytest.mark.parametrize(("variables", "region"), REGION_CASES)
def test_release_clients_use_the_region_of_the_variables(
    aws_variables: SetVariables, variables: dict[str, str], region: str
) -> None:
    aws_variables(variables)
    assert aws_session().client("codedeploy").meta.region_name == region


def test_release_clients_go_to_the_endpoint_of_aws_endpoint_url(
    aws_variables: SetVariables,
) -> None:
    aws_variables(EMULATOR)
    assert aws_session().client("lambda").meta.endpoint_url == EMULATOR["AWS_ENDPOINT_URL"]
