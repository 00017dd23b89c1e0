"""The moto fixtures give a usable, resettable AWS; everything else is cut off from AWS."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3
import botocore.exceptions
import pytest

from platform_testkit import DEAD_ENDPOINT_URL
from platform_testkit.aws import external_endpoint, reset

ROLE_ARN = "arn:aws:iam::123456789012:role/test-role"


def test_fake_credentials_and_region_are_set_for_every_test() -> None:
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert "AWS_PROFILE" not in os.environ
    assert boto3.session.Session().region_name == "us-east-1"


def test_without_moto_fixture_boto3_fails_fast_on_the_dead_endpoint() -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == DEAD_ENDPOINT_URL
    started = time.monotonic()
    with pytest.raises(botocore.exceptions.EndpointConnectionError, match=r"127\.0\.0\.1:9"):
        boto3.client("s3").list_buckets()
    assert time.monotonic() - started < 15


def test_moto_endpoint_is_a_loopback_server_and_is_the_configured_endpoint(
    moto_endpoint: str, aws_endpoint: str
) -> None:
    external = external_endpoint()
    if external is None:
        assert moto_endpoint.startswith("http://127.0.0.1:")
    else:
        assert moto_endpoint == external
    assert moto_endpoint == aws_endpoint
    assert not moto_endpoint.endswith(":9")
    assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint


def test_s3_round_trip_through_moto(aws_reset: str) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="testkit-bucket")
    s3.put_object(Bucket="testkit-bucket", Key="a/b.txt", Body=b"hello moto")

    body = s3.get_object(Bucket="testkit-bucket", Key="a/b.txt")["Body"].read()

    assert body == b"hello moto"
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["testkit-bucket"]


def test_aws_reset_removes_resources_created_earlier(moto_endpoint: str) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="left-over-bucket")
    assert s3.list_buckets()["Buckets"]

    reset(moto_endpoint, external=external_endpoint() is not None)

    assert s3.list_buckets()["Buckets"] == []


def _run_to_completion(client: Any, name: str, definition: dict[str, Any]) -> dict[str, Any]:
    machine = client.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE_ARN
    )
    execution = client.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        described = client.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.05)
    raise AssertionError("state machine still RUNNING after 20s")


def test_stepfunctions_execution_interprets_the_definition(
    moto_stepfunctions_execution: str,
) -> None:
    sfn = boto3.client("stepfunctions")
    passed = _run_to_completion(
        sfn,
        "passing",
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x": 1}, "End": True}}},
    )
    failed = _run_to_completion(
        sfn,
        "failing",
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}},
    )

    assert passed["status"] == "SUCCEEDED"
    assert json.loads(str(passed["output"])) == {"x": 1}
    # A recording-only moto cannot know that a Fail state fails: this proves execution is on.
    assert failed["status"] == "FAILED"
    assert failed["error"] == "Boom"
