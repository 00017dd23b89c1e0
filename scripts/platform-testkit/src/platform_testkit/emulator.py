"""Resetting an external emulator through the public AWS APIs, service by service.

moto empties itself on ``POST /moto-api/reset``; LocalStack and other emulators have no such
call that the kit may rely on. With ``TEST_AWS_ENDPOINT_URL`` the kit therefore deletes, before
each test that asks for a reset, every resource of the services below that the emulator holds.
Resources of other services survive: tests that create them must use unique names. Point the
variable at a throwaway emulator only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

REGION = "us-east-1"
Sweeper = Callable[[Any], None]


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _empty_bucket(s3: Any, bucket: str) -> None:
    # Every version and delete marker (an unversioned bucket lists its objects as version
    # "null"): deleting by key alone would add delete markers to a versioned bucket.
    versions = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for key in ("Versions", "DeleteMarkers")
        for v in _pages(s3, "list_object_versions", key, Bucket=bucket)
    ]
    for batch in _chunks(versions, 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    for upload in _pages(s3, "list_multipart_uploads", "Uploads", Bucket=bucket):
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])


def sweep_s3(s3: Any) -> None:
    for bucket in s3.list_buckets().get("Buckets", []):
        _empty_bucket(s3, bucket["Name"])
        s3.delete_bucket(Bucket=bucket["Name"])


def sweep_secretsmanager(client: Any) -> None:
    for secret in _pages(client, "list_secrets", "SecretList"):
        client.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)


def sweep_stepfunctions(client: Any) -> None:
    for machine in _pages(client, "list_state_machines", "stateMachines"):
        client.delete_state_machine(stateMachineArn=machine["stateMachineArn"])


def sweep_lambda(client: Any) -> None:
    for function in _pages(client, "list_functions", "Functions"):
        client.delete_function(FunctionName=function["FunctionName"])


def sweep_ssm(client: Any) -> None:
    names = [p["Name"] for p in _pages(client, "describe_parameters", "Parameters")]
    for batch in _chunks(names, 10):
        client.delete_parameters(Names=batch)


def sweep_sqs(client: Any) -> None:
    for url in client.list_queues().get("QueueUrls", []):
        client.delete_queue(QueueUrl=url)


def sweep_sns(client: Any) -> None:
    for topic in _pages(client, "list_topics", "Topics"):
        client.delete_topic(TopicArn=topic["TopicArn"])


def sweep_dynamodb(client: Any) -> None:
    for table in _pages(client, "list_tables", "TableNames"):
        client.delete_table(TableName=table)


def sweep_logs(client: Any) -> None:
    for group in _pages(client, "describe_log_groups", "logGroups"):
        client.delete_log_group(logGroupName=group["logGroupName"])


def sweep_cloudwatch(client: Any) -> None:
    names = [a["AlarmName"] for a in _pages(client, "describe_alarms", "MetricAlarms")]
    for batch in _chunks(names, 100):
        client.delete_alarms(AlarmNames=batch)


def sweep_iam(iam: Any) -> None:
    """Roles, instance profiles, users and customer-managed policies (AWS-managed ones are
    not the tests')."""
    for role in _pages(iam, "list_roles", "Roles"):
        name = role["RoleName"]
        for policy in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for policy in _pages(iam, "list_role_policies", "PolicyNames", RoleName=name):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for profile in _pages(
            iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=name
        ):
            iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=name
            )
        iam.delete_role(RoleName=name)
    for user in _pages(iam, "list_users", "Users"):
        name = user["UserName"]
        for key in _pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        for policy in _pages(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name):
            iam.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
        for policy in _pages(iam, "list_user_policies", "PolicyNames", UserName=name):
            iam.delete_user_policy(UserName=name, PolicyName=policy)
        iam.delete_user(UserName=name)
    for profile in _pages(iam, "list_instance_profiles", "InstanceProfiles"):
        for role in profile.get("Roles", []):
            iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=role["RoleName"]
            )
        iam.delete_instance_profile(InstanceProfileName=profile["InstanceProfileName"])
    for policy in _pages(iam, "list_policies", "Policies", Scope="Local"):
        arn = policy["Arn"]
        for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=arn)


# Order: what references others first (functions and state machines use roles).
SWEEPERS: dict[str, Sweeper] = {
    "stepfunctions": sweep_stepfunctions,
    "lambda": sweep_lambda,
    "s3": sweep_s3,
    "secretsmanager": sweep_secretsmanager,
    "ssm": sweep_ssm,
    "sqs": sweep_sqs,
    "sns": sweep_sns,
    "dynamodb": sweep_dynamodb,
    "logs": sweep_logs,
    "cloudwatch": sweep_cloudwatch,
    "iam": sweep_iam,
}


def _service_unavailable(error: Exception) -> bool:
    """The emulator does not offer this service (LocalStack's free tier answers 501)."""
    response = getattr(error, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = str(response.get("Error", {}).get("Code", ""))
    return status == 501 or code in {"InternalFailure", "NotImplemented", "UnknownOperation"}


def sweep(endpoint: str) -> list[str]:
    """Delete what the emulator holds in the services above; returns the services skipped."""
    import boto3
    from botocore.exceptions import ClientError

    session = boto3.session.Session(region_name=REGION)
    skipped = []
    for service, sweeper in SWEEPERS.items():
        client = session.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]
        try:
            sweeper(client)
        except ClientError as error:
            if not _service_unavailable(error):
                raise
            skipped.append(service)
    return skipped
