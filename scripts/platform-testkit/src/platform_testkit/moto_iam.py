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
