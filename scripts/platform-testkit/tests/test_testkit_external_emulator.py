"""TEST_AWS_ENDPOINT_URL: an emulator that is already running replaces the kit's moto.

The "external" emulator here is this session's own moto server, seen from an inner session
that is told about it; the inner session must not start moto, must reset through the public
APIs only, and must skip what needs moto's admin calls.
"""

from __future__ import annotations

import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from testkit_inner_run import run_inner_pytest

from platform_testkit.aws import (
    EXTERNAL_ENDPOINT_ENV,
    LOCALSTACK_HEALTH_PATH,
    SERVICES_ENV,
    available_services,
    external_endpoint,
)
from platform_testkit.emulator import SWEEPERS, sweep

INNER_TESTS = """
import os, sys
import boto3, pytest

def test_a_uses_the_external_emulator(aws_endpoint, moto_endpoint):
    assert aws_endpoint == moto_endpoint == os.environ["TEST_AWS_ENDPOINT_URL"]
    assert os.environ["AWS_ENDPOINT_URL"] == aws_endpoint
    assert "moto" not in sys.modules, "the kit started moto although an emulator was given"

def test_b_creates(aws_reset):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="left-by-b")
    s3.put_object(Bucket="left-by-b", Key="k", Body=b"v")
    boto3.client("secretsmanager").create_secret(Name="left-by-b", SecretString="x")

def test_c_starts_empty(aws_reset):
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []

def test_d_needs_iam_enforcement(aws_iam):
    raise AssertionError("must be skipped")

def test_e_needs_step_functions_execution(moto_stepfunctions_execution):
    raise AssertionError("must be skipped")

@pytest.mark.aws_services("s3", "glue", "ecr")
def test_f_needs_paid_services(aws_reset):
    raise AssertionError("must be skipped")

@pytest.mark.aws_services("s3", "secretsmanager")
def test_g_needs_offered_services(aws_reset):
    boto3.client("s3").create_bucket(Bucket="offered")
"""


def test_an_external_emulator_replaces_moto(tmp_path: Path, moto_endpoint: str) -> None:
    run = run_inner_pytest(
        tmp_path,
        INNER_TESTS,
        env={EXTERNAL_ENDPOINT_ENV: moto_endpoint, SERVICES_ENV: "s3,secretsmanager,sts"},
    )

    assert run.results == {
        "test_a_uses_the_external_emulator": "passed",
        "test_b_creates": "passed",
        "test_c_starts_empty": "passed",
        "test_d_needs_iam_enforcement": "skipped",
        "test_e_needs_step_functions_execution": "skipped",
        "test_f_needs_paid_services": "skipped",
        "test_g_needs_offered_services": "passed",
    }, run.output
    assert "IAM enforcement (moto's /moto-api/reset-auth) needs the kit's own moto" in run.output
    assert "needs ecr, glue from the AWS emulator" in run.output


class _HealthHandler(http.server.BaseHTTPRequestHandler):
    report = b""

    def do_GET(self) -> None:  # the one request LocalStack's health probe makes
        found = self.path == LOCALSTACK_HEALTH_PATH
        self.send_response(200 if found else 404)
        self.end_headers()
        if found:
            self.wfile.write(self.report)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_localstack() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HealthHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_services_come_from_the_variable_or_localstacks_health_report(
    fake_localstack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _HealthHandler.report = json.dumps(
        {
            "edition": "community",
            "services": {"s3": "running", "sqs": "available", "rds": "disabled"},
        }
    ).encode()
    monkeypatch.delenv(SERVICES_ENV, raising=False)
    assert available_services(fake_localstack) == {"s3", "sqs"}

    monkeypatch.setenv(SERVICES_ENV, "glue, ecr")
    assert available_services(fake_localstack) == {"glue", "ecr"}

    monkeypatch.delenv(SERVICES_ENV)
    _HealthHandler.report = b"not json"
    assert available_services(fake_localstack) is None  # unknown: the tests run


@pytest.mark.parametrize(
    "value",
    ["https://s3.us-east-1.amazonaws.com", "https://sts.amazonaws.com.cn", "ftp://localhost:1"],
)
def test_real_aws_or_non_http_endpoints_are_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(EXTERNAL_ENDPOINT_ENV, value)
    with pytest.raises(ValueError, match=EXTERNAL_ENDPOINT_ENV):
        external_endpoint()


def test_emulator_urls_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in (
        ("http://localhost:4566/", "http://localhost:4566"),
        ("http://localhost.localstack.cloud:4566", "http://localhost.localstack.cloud:4566"),
        ("", None),
    ):
        monkeypatch.setenv(EXTERNAL_ENDPOINT_ENV, value)
        assert external_endpoint() == expected


def _lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _fill_every_swept_service(endpoint: str) -> None:
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

    s3 = client("s3")
    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket="versioned", Key="k", Body=body)
    s3.delete_object(Bucket="versioned", Key="k")  # leaves a delete marker
    s3.create_multipart_upload(Bucket="versioned", Key="unfinished")
    s3.create_bucket(Bucket="plain")
    s3.put_object(Bucket="plain", Key="a/b", Body=b"x")

    client("secretsmanager").create_secret(Name="s", SecretString="x")
    ssm = client("ssm")
    for i in range(12):  # more than one DeleteParameters batch
        ssm.put_parameter(Name=f"/p/{i}", Value="v", Type="String")
    client("sqs").create_queue(QueueName="q")
    client("sns").create_topic(Name="t")
    client("dynamodb").create_table(
        TableName="d",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client("logs").create_log_group(logGroupName="/g")
    client("cloudwatch").put_metric_alarm(
        AlarmName="a",
        MetricName="m",
        Namespace="n",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )

    iam = client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    role_arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName="r", PolicyName="inline", PolicyDocument=document)
    policy_arn = iam.create_policy(PolicyName="managed", PolicyDocument=document)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=document, SetAsDefault=True)
    iam.attach_role_policy(RoleName="r", PolicyArn=policy_arn)
    iam.create_instance_profile(InstanceProfileName="ip")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r")
    iam.create_user(UserName="u")
    iam.create_access_key(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="inline", PolicyDocument=document)
    iam.attach_user_policy(UserName="u", PolicyArn=policy_arn)

    client("lambda").create_function(
        FunctionName="f",
        Runtime="python3.11",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": _lambda_zip()},
    )
    client("stepfunctions").create_state_machine(
        name="sm",
        roleArn=role_arn,
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )


def _remaining(endpoint: str) -> dict[str, int]:
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

    iam = client("iam")
    return {
        "s3": len(client("s3").list_buckets()["Buckets"]),
        "secretsmanager": len(client("secretsmanager").list_secrets()["SecretList"]),
        "ssm": len(client("ssm").describe_parameters()["Parameters"]),
        "sqs": len(client("sqs").list_queues().get("QueueUrls", [])),
        "sns": len(client("sns").list_topics()["Topics"]),
        "dynamodb": len(client("dynamodb").list_tables()["TableNames"]),
        "logs": len(client("logs").describe_log_groups()["logGroups"]),
        "cloudwatch": len(client("cloudwatch").describe_alarms()["MetricAlarms"]),
        "lambda": len(client("lambda").list_functions()["Functions"]),
        "stepfunctions": len(client("stepfunctions").list_state_machines()["stateMachines"]),
        "iam": len(iam.list_roles()["Roles"])
        + len(iam.list_users()["Users"])
        + len(iam.list_policies(Scope="Local")["Policies"]),
    }


def test_the_sweep_empties_every_service_it_lists(aws_reset: str) -> None:
    _fill_every_swept_service(aws_reset)
    before = _remaining(aws_reset)
    assert set(before) == set(SWEEPERS)
    assert all(count > 0 for count in before.values()), before

    skipped = sweep(aws_reset)

    assert skipped == []
    assert _remaining(aws_reset) == dict.fromkeys(SWEEPERS, 0)
