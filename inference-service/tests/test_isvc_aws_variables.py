"""The AWS SDKs' variables reach this service's boto3 clients: AWS_REGION (which boto3 alone
ignores) before AWS_DEFAULT_REGION before the profile's region; AWS_ENDPOINT_URL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from inference_service.database import install_iam_token_hook
from platform_testkit.aws_variables import EMULATOR, REGION_CASES, SetVariables, token_region

STORE = "postgresql+psycopg2://inference@proxy.example:5432/features"


@pytest.mark.parametrize(("variables", "region"), REGION_CASES)
def test_store_tokens_use_the_region_of_the_variables(
    aws_variables: SetVariables, variables: dict[str, str], region: str
) -> None:
    aws_variables(variables)
    url = sa.make_url(STORE)
    engine = sa.create_engine(url)
    install_iam_token_hook(engine, url)
    cparams: dict[str, str] = {}
    engine.dialect.dispatch.do_connect(engine.dialect, None, [], cparams)
    assert token_region(cparams["password"]) == region


def test_the_secret_client_uses_the_region_and_endpoint(aws_variables: SetVariables) -> None:
    from inference_service import aws

    aws_variables(EMULATOR)
    client = aws.client("secretsmanager")  # what key_reader hands to Powertools
    assert (client.meta.region_name, client.meta.endpoint_url) == (
        EMULATOR["AWS_REGION"],
        EMULATOR["AWS_ENDPOINT_URL"],
    )
