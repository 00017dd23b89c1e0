"""The AWS SDKs' variables reach this service's boto3 clients: AWS_REGION (which boto3 alone
ignores) before AWS_DEFAULT_REGION before the profile's region; AWS_ENDPOINT_URL."""

from __future__ import annotations

import pytest

from feature_pipeline.inputs import s3_client
from feature_pipeline.store_access import StoreTarget, store_engine
from platform_testkit.aws_variables import EMULATOR, REGION_CASES, SetVariables, token_region

STORE = "postgresql+psycopg2://feature_pipeline@proxy.example:5432/features"


@pytest.mark.parametrize(("variables", "region"), REGION_CASES)
def test_store_tokens_and_s3_use_the_region_of_the_variables(
    aws_variables: SetVariables, variables: dict[str, str], region: str
) -> None:
    aws_variables(variables)
    engine = store_engine(StoreTarget(STORE, "iam"))
    cparams: dict[str, str] = {}
    engine.dialect.dispatch.do_connect(engine.dialect, None, [], cparams)
    assert token_region(cparams["password"]) == region
    assert s3_client().meta.region_name == region


def test_s3_goes_to_the_endpoint_of_aws_endpoint_url(aws_variables: SetVariables) -> None:
    aws_variables(EMULATOR)
    assert s3_client().meta.endpoint_url == EMULATOR["AWS_ENDPOINT_URL"]
