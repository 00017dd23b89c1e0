"""IAM enforced by the session's moto server: an admin identity, and code run as a role.

While enforcement is on, moto checks every request's signature against the access keys it
issued and the caller's policies against the action, so the fake ``testing`` keys stop
working. The kit therefore creates an admin user first (while checks are still off) and makes
its keys the default credentials; set-up code and Terraform act as that admin. A component runs
with the credentials of ``sts:AssumeRole`` on its own role and meets AccessDenied where its
role lacks a statement, as it would in AWS.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from platform_testkit import aws

ADMIN_USER = "platform-testkit-admin"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
REGION = "us-east-1"
_CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)
# What AWS and moto call a refusal across protocols: moto answers JSON-protocol services
# (Secrets Manager, Glue, ...) with an XML body that botocore reads as code "403".
_ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "403"})


class RoleTrustError(AssertionError):
    """The role does not trust the service the component runs as (AWS would refuse it too)."""


@dataclass(frozen=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def env(self) -> dict[str, str | None]:
        """Environment variables for boto3 (None = must be unset)."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
            "AWS_SECURITY_TOKEN": self.session_token,
        }

    def session(self, region: str = REGION) -> Any:
        """A boto3 Session with these credentials (endpoint still from AWS_ENDPOINT_URL)."""
        return new_boto3_session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            aws_session_token=self.session_token,
            region_name=region,
        )


def is_access_denied(error: BaseException) -> bool:
    """True for a botocore ClientError that is an IAM refusal (any service's spelling)."""
    response = getattr(error, "response", None)
    if not isinstance(response, Mapping):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in _ACCESS_DENIED_CODES


_shared_loader: list[Any] = []


def new_boto3_session(**kwargs: Any) -> Any:
    """A boto3 Session sharing one botocore data loader with the others the kit makes.

    A fresh session re-reads every service model it touches (50-130 ms per client); sharing
    the loader makes the kit's many short-lived sessions cost what a client costs (~10 ms).
    """
    import boto3
    import botocore.session

    botocore_session = botocore.session.get_session()
    if _shared_loader:
        botocore_session.register_component("data_loader", _shared_loader[0])
    else:
        _shared_loader.append(botocore_session.get_component("data_loader"))
    return boto3.session.Session(botocore_session=botocore_session, **kwargs)


def _forget_default_session() -> None:
    """boto3's default session resolves credentials once and caches them: without a new one, a
    ``boto3.client(...)`` made after the switch would still sign with the previous keys."""
    boto3: Any = sys.modules.get("boto3")
    if boto3 is not None and boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION = new_boto3_session()


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or unset, for None) credential variables for the duration; restore them afterwards.

    Clients created inside the block use the new values; clients created before keep theirs.
    """
    previous = {name: os.environ.get(name) for name in values}
    aws.restore_environment(os.environ, values)
    _forget_default_session()
    try:
        yield
    finally:
        aws.restore_environment(os.environ, previous)
        _forget_default_session()


def role_name(role: str) -> str:
    """``name`` from a role name or ARN (``arn:aws:iam::123:role/path/name``)."""
    return role.rsplit("/", 1)[-1] if role.startswith("arn:") else role


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def trusts_service(trust_policy: Any, service: str) -> bool:
    """Whether a trust policy lets ``service`` (e.g. glue.amazonaws.com) assume the role."""
    for statement in _statements(trust_policy):
        actions = _as_list(statement.get("Action"))
        principal = statement.get("Principal") or {}
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if (
            statement.get("Effect") == "Allow"
            and any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions)
            and service in services
        ):
            return True
    return False


StatementSelector = str | Callable[[dict[str, Any]], bool]


@dataclass
class IamEnforcement:
    """What the ``aws_iam`` fixture yields: the admin identity and ways to act as a role."""

    endpoint: str
    admin: AwsCredentials
    account_id: str
    # False for an external emulator: the kit cannot switch its checks (moto-only call).
    switches_enforcement: bool = True

    def client(self, service: str, credentials: AwsCredentials | None = None) -> Any:
        return (credentials or self.admin).session().client(service, endpoint_url=self.endpoint)

    def role_arn(self, role: str) -> str:
        if role.startswith("arn:"):
            return role
        return str(self.client("iam").get_role(RoleName=role)["Role"]["Arn"])

    def assume_role(
        self, role: str, *, service: str | None = None, session_name: str = "platform-testkit"
    ) -> AwsCredentials:
        """Credentials of ``sts:AssumeRole`` on ``role`` (name or ARN).

        In AWS the service (Glue, Lambda, CodeBuild) assumes a component's role; the kit plays
        that service. With ``service=`` it first checks that the role's trust policy names it.
        The AssumeRole call runs with enforcement paused for that one request: moto evaluates
        trust policies only for AWS principals and fails (HTTP 500) on a Service principal.
        """
        name = role_name(role)
        iam = self.client("iam")
        described = iam.get_role(RoleName=name)["Role"]
        if service is not None and not trusts_service(
            described["AssumeRolePolicyDocument"], service
        ):
            raise RoleTrustError(f"role {name} does not let {service} assume it")
        sts = self.client("sts")
        if not self.switches_enforcement:
            credentials = sts.assume_role(RoleArn=described["Arn"], RoleSessionName=session_name)
        else:
            aws.set_iam_enforcement(self.endpoint, enabled=False)
            try:
                credentials = sts.assume_role(
                    RoleArn=described["Arn"], RoleSessionName=session_name
                )
            finally:
                aws.set_iam_enforcement(self.endpoint, enabled=True)
        issued = credentials["Credentials"]
        return AwsCredentials(
            issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
        )

    @contextmanager
    def acting_as(self, role: str, *, service: str | None = None) -> Iterator[AwsCredentials]:
        """Run the block with the role's credentials as the default (environment) credentials,
        for component code that builds its own boto3 clients; the admin's come back after."""
        credentials = self.assume_role(role, service=service)
        with environment(credentials.env()):
            yield credentials

    def create_role(
        self,
        name: str,
        statements: list[dict[str, Any]],
        *,
        service: str = "lambda.amazonaws.com",
    ) -> str:
        """A role trusting ``service`` with one inline policy; returns its ARN (small tests)."""
        iam = self.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        iam.put_role_policy(
            RoleName=name,
            PolicyName=f"{name}-policy",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        return str(arn)

    def copy_role_without(self, role: str, statement: StatementSelector, new_name: str) -> str:
        """A copy of ``role`` (trust, inline and attached policies) minus exactly one statement.

        ``statement`` is a Sid or a predicate on the statement dict. The harness-bites test of
        a component uses it: the copy must make a named step fail with AccessDenied.
        Returns the copy's ARN.
        """
        matches: Callable[[dict[str, Any]], bool] = (
            (lambda s: s.get("Sid") == statement) if isinstance(statement, str) else statement
        )
        iam = self.client("iam")
        name = role_name(role)
        source = iam.get_role(RoleName=name)["Role"]
        removed = 0

        def without(document: Any) -> tuple[dict[str, Any], bool]:
            nonlocal removed
            kept = [s for s in _statements(document) if not matches(s)]
            dropped = len(_statements(document)) - len(kept)
            removed += dropped
            return {"Version": "2012-10-17", "Statement": kept}, dropped > 0

        inline = {
            policy: without(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
        }
        attached = {}
        for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            arn = policy["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
            attached[(arn, policy["PolicyName"])] = without(document["Document"])
        if removed != 1:
            raise ValueError(f"{removed} statements of role {name} match {statement!r}; expected 1")

        copy_arn = iam.create_role(
            RoleName=new_name,
            AssumeRolePolicyDocument=json.dumps(source["AssumeRolePolicyDocument"]),
        )["Role"]["Arn"]
        for policy, (document, _) in inline.items():
            iam.put_role_policy(
                RoleName=new_name, PolicyName=policy, PolicyDocument=json.dumps(document)
            )
        for (arn, policy_name), (document, changed) in attached.items():
            if changed:
                arn = iam.create_policy(
                    PolicyName=f"{new_name}-{policy_name}", PolicyDocument=json.dumps(document)
                )["Policy"]["Arn"]
            iam.attach_role_policy(RoleName=new_name, PolicyArn=arn)
        return str(copy_arn)


def create_admin(endpoint: str) -> tuple[AwsCredentials, str]:
    """An IAM user allowed everything, with access keys; call while enforcement is off.

    Returns the credentials and the account id moto placed the user in.
    """
    import boto3

    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
    user = iam.create_user(UserName=ADMIN_USER)["User"]
    iam.put_user_policy(
        UserName=ADMIN_USER, PolicyName="administrator", PolicyDocument=json.dumps(ADMIN_POLICY)
    )
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    account_id = str(user["Arn"]).split(":")[4]
    return AwsCredentials(key["AccessKeyId"], key["SecretAccessKey"]), account_id


@contextmanager
def enforced_iam(endpoint: str) -> Iterator[IamEnforcement]:
    """Empty the moto server, create the admin, make it the default identity, enforce IAM.

    Usable at any fixture scope (a module that applies Terraform once, say); afterwards the
    checks are off and the previous credentials are back. Only for the kit's own moto server.
    """
    aws.set_iam_enforcement(endpoint, enabled=False)
    aws.reset_moto(endpoint)
    admin, account_id = create_admin(endpoint)
    try:
        with environment(admin.env()):
            aws.set_iam_enforcement(endpoint, enabled=True)
            yield IamEnforcement(endpoint=endpoint, admin=admin, account_id=account_id)
    finally:
        aws.set_iam_enforcement(endpoint, enabled=False)


@contextmanager
def external_identity(endpoint: str) -> Iterator[IamEnforcement]:
    """:func:`enforced_iam` for an emulator the kit did not start (``TEST_AWS_ENDPOINT_URL``):
    no moto-only calls. The emulator is swept through its public APIs, the admin user is made
    through IAM and becomes the default identity; roles are assumed through STS as usual.
    Whether policies are enforced is the emulator's own setting (LocalStack: ``ENFORCE_IAM=1``).
    """
    from platform_testkit.emulator import sweep

    sweep(endpoint)
    admin, account_id = create_admin(endpoint)
    with environment(admin.env()):
        yield IamEnforcement(
            endpoint=endpoint, admin=admin, account_id=account_id, switches_enforcement=False
        )
