"""Waiting on Lambda with boto3 waiters: a failed update or version is reported in Lambda's own
words. moto makes image updates succeed and versions Active at once, so these two cases run
against botocore's Stubber (responses checked against the Lambda API model)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from release_tool.errors import ReleaseError
from release_tool.lambda_function import LambdaFunction

FUNCTION = "credit-risk-mx-staging-inference"


def test_a_failed_image_update_names_lambdas_reason() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    failed = {
        "Configuration": {
            "FunctionName": FUNCTION,
            "LastUpdateStatus": "Failed",
            "LastUpdateStatusReasonCode": "ImageAccessDenied",
            "LastUpdateStatusReason": "Lambda does not have permission to access the ECR image",
        }
    }
    with Stubber(client) as stub:
        stub.add_response("get_function", failed, {"FunctionName": FUNCTION})
        with pytest.raises(ReleaseError, match="Failed: ImageAccessDenied Lambda does not have"):
            LambdaFunction(client, FUNCTION, "live").wait_until_updated(60)


def test_a_version_that_fails_to_activate_is_an_error() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    failed = {
        "FunctionName": FUNCTION,
        "Version": "7",
        "State": "Failed",
        "StateReasonCode": "ImageDeleted",
        "StateReason": "The image was deleted",
    }
    with Stubber(client) as stub:
        stub.add_response(
            "get_function_configuration", failed, {"FunctionName": FUNCTION, "Qualifier": "7"}
        )
        with pytest.raises(ReleaseError, match=r"version 7 .* Failed: ImageDeleted"):
            LambdaFunction(client, FUNCTION, "live").wait_until_active("7", 60)
