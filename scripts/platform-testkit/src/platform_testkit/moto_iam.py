"""One change to how the in-process moto evaluates IAM policies, and why.

moto knows the resource of a request only for S3 (bucket/key ARNs), SQS, IAM role operations and
``sts:AssumeRole``. For every other service it evaluates the caller's policies against the
resource ``"*"``, so an Allow statement scoped to a real ARN (``secretsmanager:GetSecretValue``
on one secret, the way Terraform writes least-privilege policies) never matches and moto denies
what AWS allows. Left alone, that pushes roles towards ``Resource: "*"`` to please the emulator.

Here, when moto has no resource (``"*"``), an *Allow* statement's Resource counts as matching:
the action is still checked (a missing action is AccessDenied, as in AWS), the resource is not
(the Terraform plan tests check resources). A Deny scoped to specific ARNs does not match an
unknown resource, so it cannot deny by accident either. S3 keeps moto's exact evaluation.

A second change fixes how moto re-computes the SigV4 signature of a request without a body
(:func:`sign_empty_bodies_as_sent`): moto 5.2 then hashes its parsed parameters instead of the
empty payload the client signed, so every body-less call of a REST service (Lambda
``GetFunction``, API Gateway ``GetRestApi``, ...) fails with ``SignatureDoesNotMatch`` once IAM
is enforced, which AWS would accept.

A third (:func:`bucket_policies_see_tls`): every platform bucket carries ``Deny s3:* if
aws:SecureTransport = false``. moto evaluates bucket policies without request context, so that
Deny matched and every object write to a Terraform-made bucket was refused (HTTP 403); the
emulator speaks plain HTTP where every AWS client speaks HTTPS, so requests are evaluated as made
over TLS. (A client really sending plain HTTP to AWS is refused; that is for the plan tests.)
"""

from __future__ import annotations

from typing import Any

_PATCHED_FLAG = "_platform_testkit_unknown_resources_by_action"
# moto's placeholder when it does not know which resource a request touches.
UNKNOWN_RESOURCE = "*"


def evaluate_unknown_resources_by_action() -> None:
    """Patch moto's IAM statement matching (idempotent; this process's moto only)."""
    from moto.iam.access_control import IAMPolicyStatement

    if getattr(IAMPolicyStatement, _PATCHED_FLAG, False):
        return
    original = IAMPolicyStatement._check_element_matches

    def check_element_matches(self: Any, statement_element: Any, value: str) -> bool:
        if (
            statement_element == "Resource"
            and value == UNKNOWN_RESOURCE
            and self._statement.get("Effect") == "Allow"
        ):
            return True
        return bool(original(self, statement_element, value))

    IAMPolicyStatement._check_element_matches = check_element_matches  # type: ignore[method-assign]
    setattr(IAMPolicyStatement, _PATCHED_FLAG, True)


_SIGNATURE_PATCHED_FLAG = "_platform_testkit_signs_empty_bodies_as_sent"
_FORM = "application/x-www-form-urlencoded"


def sign_empty_bodies_as_sent() -> None:
    """Patch moto's signature check to hash an empty body as empty (idempotent).

    moto rebuilds the signed request with ``data=body or parsed_parameters``: right for
    form-encoded posts (werkzeug leaves their raw body empty and the parameters are the payload),
    wrong for a GET or DELETE of a REST service, whose payload is empty.
    """
    from moto.iam.access_control import IAMRequestBase

    if getattr(IAMRequestBase, _SIGNATURE_PATCHED_FLAG, False):
        return
    original = IAMRequestBase._create_aws_request

    def create_aws_request(self: Any) -> Any:
        content_type = next(
            (v for k, v in self._headers.items() if k.lower() == "content-type"), ""
        )
        if self._body or str(content_type).startswith(_FORM):
            return original(self)
        saved = self._data
        self._data = b""
        try:
            return original(self)
        finally:
            self._data = saved

    IAMRequestBase._create_aws_request = create_aws_request  # type: ignore[method-assign]
    setattr(IAMRequestBase, _SIGNATURE_PATCHED_FLAG, True)


_TRANSPORT_PATCHED_FLAG = "_platform_testkit_bucket_policies_see_tls"
# What every AWS client's request carries: boto3, the CLI and Terraform speak HTTPS to S3.
TLS_REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _holds_over_tls(statement: dict[str, Any]) -> bool:
    """False if a ``Bool`` condition of the statement on a key of the TLS request context
    cannot hold (moto evaluates only ``StringEquals`` and ignores every other operator)."""
    for key, expected in (statement.get("Condition") or {}).get("Bool", {}).items():
        if key in TLS_REQUEST_CONTEXT:
            values = expected if isinstance(expected, list) else [expected]
            if TLS_REQUEST_CONTEXT[key] not in [str(v).lower() for v in values]:
                return False
    return True


def bucket_policies_see_tls() -> None:
    """Patch moto's bucket-policy check to evaluate requests as made over TLS (idempotent)."""
    import json

    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    if getattr(FakeBucket, _TRANSPORT_PATCHED_FLAG, False):
        return

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        kept = [s for s in statements if _holds_over_tls(s)]
        if not kept:
            return PermissionResult.NEUTRAL
        policy = IAMPolicy(json.dumps({**document, "Statement": kept}))
        return policy.is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    setattr(FakeBucket, _TRANSPORT_PATCHED_FLAG, True)


_PREFIX_PATCHED_FLAG = "_platform_testkit_iam_prefixes"
# SigV4 signing names whose IAM action prefix differs (moto builds the action from the former).
IAM_PREFIX_OF_SIGNING_NAME = {"monitoring": "cloudwatch"}


def actions_use_iam_prefixes() -> None:
    """Patch moto to check ``cloudwatch:DescribeAlarms``, not ``monitoring:DescribeAlarms``:
    CloudWatch signs as ``monitoring`` but policies name its actions ``cloudwatch:*``, so every
    CloudWatch call under a correct policy was AccessDenied (idempotent)."""
    from moto.iam.access_control import IAMRequestBase

    if getattr(IAMRequestBase, _PREFIX_PATCHED_FLAG, False):
        return
    original = IAMRequestBase.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        prefix, _, action = self._action.partition(":")
        if prefix in IAM_PREFIX_OF_SIGNING_NAME:
            self._action = f"{IAM_PREFIX_OF_SIGNING_NAME[prefix]}:{action}"

    IAMRequestBase.__init__ = init  # type: ignore[method-assign]
    setattr(IAMRequestBase, _PREFIX_PATCHED_FLAG, True)


def apply_corrections() -> None:
    """Every correction above, in this process's moto (idempotent): the kit's server and
    ``python -m platform_testkit.moto_server`` run with the same ones."""
    evaluate_unknown_resources_by_action()
    sign_empty_bodies_as_sent()
    bucket_policies_see_tls()
    actions_use_iam_prefixes()
