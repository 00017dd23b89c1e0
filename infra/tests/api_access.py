"""Checks of who may call the prediction API and how the WAF counts them, written as functions
that return findings, so tests can run them on the plan, the applied state and on broken copies.

The decisions follow AWS's documented evaluation, reduced to what this platform uses:
- API Gateway with IAM authorization and a resource policy ("How API Gateway resource policies
  affect authorization workflow"): an unsigned request is refused before any policy; an explicit
  Deny in the resource policy refuses; otherwise a caller of the API's own account is let in when
  the resource policy OR its identity policy allows, a caller of another account only when both
  do.
- WAF rules run in priority order; a rule with the Count action adds its labels when its
  statement matches; a rate-based rule counts a request when its scope-down statement matches.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from .wiring import UNKNOWN

INVOKE = "execute-api:Invoke"
# A principal of the API's account that is no consumer, whose own IAM policy allows invoking
# anything: the resource policy must still keep it out.
OUTSIDER_ROLE = "role/some-other-workload"


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def _principal_matches(statement: dict[str, Any], principal: str | None) -> bool:
    principals = statement.get("Principal")
    if principals == "*":
        return True
    listed = _listed((principals or {}).get("AWS"))
    return "*" in listed or (principal is not None and principal in listed)


def _conditions_hold(statement: dict[str, Any], principal: str | None) -> bool:
    """aws:PrincipalArn conditions; an anonymous caller has no such key, so only the negated
    operators hold for it (as in IAM)."""
    for operator, tests in (statement.get("Condition") or {}).items():
        for key, values in tests.items():
            if key != "aws:PrincipalArn":
                raise AssertionError(f"condition key this check does not model: {key}")
            matched = principal is not None and any(
                fnmatch.fnmatchcase(principal, p) for p in _listed(values)
            )
            if operator in {"ArnEquals", "ArnLike", "StringEquals", "StringLike"}:
                holds = matched
            elif operator in {"ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike"}:
                holds = not matched
            else:
                raise AssertionError(f"condition operator this check does not model: {operator}")
            if not holds:
                return False
    return True


def _applies(statement: dict[str, Any], principal: str | None, resource: str) -> bool:
    if not any(fnmatch.fnmatch(INVOKE.lower(), a.lower()) for a in _listed(statement["Action"])):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
        return False
    return _principal_matches(statement, principal) and _conditions_hold(statement, principal)


def invoke_allowed(
    authorization: str,
    policy: dict[str, Any],
    principal: str | None,
    resource: str,
    identity_allows: bool,
) -> bool:
    """Whether API Gateway lets `principal` (None: an unsigned request) invoke `resource`."""
    if authorization == "AWS_IAM" and principal is None:
        return False  # 403 "Missing Authentication Token" before any policy
    if authorization != "AWS_IAM":
        principal = None  # nothing checks a signature: every caller is anonymous
    statements = _listed(policy.get("Statement"))
    if any(s["Effect"] == "Deny" and _applies(s, principal, resource) for s in statements):
        return False
    policy_allows = any(
        s["Effect"] == "Allow" and _applies(s, principal, resource) for s in statements
    )
    if principal is None:
        return policy_allows
    if _account_of(principal) == _account_of(resource):
        return policy_allows or identity_allows
    return policy_allows and identity_allows


def _of_type(resources: dict[str, dict[str, Any]], rtype: str) -> list[tuple[str, dict[str, Any]]]:
    return [(a, v) for a, v in resources.items() if a.split(".")[-2].split("[")[0] == rtype]


def api_access_findings(
    resources: dict[str, dict[str, Any]], consumer_principals: set[str]
) -> list[str]:
    """Who gets through the API, from `terraform show -json` resources (plan or state)."""
    findings = []
    methods = _of_type(resources, "aws_api_gateway_method")
    if not methods:
        findings.append("no API method found")
    [(_, api)] = _of_type(resources, "aws_api_gateway_rest_api")
    policies = _of_type(resources, "aws_api_gateway_rest_api_policy")
    if len(policies) != 1:
        return [*findings, f"{len(policies)} resource policies on the API, expected 1"]
    document = policies[0][1]["policy"]
    if document is UNKNOWN:
        return [*findings, "the API's resource policy is known only after apply"]
    policy = json.loads(document)
    api_account = _account_of(api["execution_arn"])
    outsider = f"arn:aws:iam::{api_account}:{OUTSIDER_ROLE}"
    for address, method in methods:
        route = f"{api['execution_arn']}/v1/{method['http_method']}/predict"
        authorization = method["authorization"]
        if authorization != "AWS_IAM":
            findings.append(f"{address}: authorization {authorization}, not AWS_IAM")
        if method.get("api_key_required") is not True:
            findings.append(f"{address}: no API key required (no usage plan applies)")
        if invoke_allowed(authorization, policy, None, route, identity_allows=False):
            findings.append(f"{address}: an unsigned request gets through")
        if invoke_allowed(authorization, policy, outsider, route, identity_allows=True):
            findings.append(
                f"{address}: {outsider}, no consumer, gets through with its own IAM policy"
            )
        for principal in sorted(consumer_principals):
            # A consumer in another account also needs its own IAM allow; give it one.
            if not invoke_allowed(authorization, policy, principal, route, identity_allows=True):
                findings.append(f"{address}: consumer {principal} is refused")
    return findings


# -- WAF ---------------------------------------------------------------------------------------


def _statement_matches(
    statement: dict[str, Any], headers: dict[str, str], labels: set[str]
) -> bool:
    if "ByteMatchStatement" in statement:
        match = statement["ByteMatchStatement"]
        header = match["FieldToMatch"]["SingleHeader"]["Name"].lower()
        search = match["SearchString"]
        search = search.decode() if isinstance(search, bytes) else search
        if match["PositionalConstraint"] != "EXACTLY":
            raise AssertionError(f"positional constraint not modelled: {match}")
        return headers.get(header) == search
    if "LabelMatchStatement" in statement:
        key = statement["LabelMatchStatement"]["Key"]
        if statement["LabelMatchStatement"]["Scope"] == "LABEL":
            return key in labels
        return any(label.startswith(key) for label in labels)
    if "NotStatement" in statement:
        return not _statement_matches(statement["NotStatement"]["Statement"], headers, labels)
    raise AssertionError(f"WAF statement this check does not model: {sorted(statement)}")


def rate_rules_counting(rules: list[dict[str, Any]], headers: dict[str, str]) -> set[str]:
    """Names of the rate-based rules that count a request with these headers."""
    labels: set[str] = set()
    counting = set()
    for rule in sorted(rules, key=lambda r: r["Priority"]):
        statement = rule["Statement"]
        if "ManagedRuleGroupStatement" in statement:
            continue
        if "RateBasedStatement" in statement:
            scope = statement["RateBasedStatement"].get("ScopeDownStatement")
            if scope is None or _statement_matches(scope, headers, labels):
                counting.add(rule["Name"])
            continue
        if "Count" in (rule.get("Action") or {}) and _statement_matches(statement, headers, labels):
            labels.update(label["Name"] for label in rule.get("RuleLabels") or [])
    return counting


def waf_findings(
    rules: list[dict[str, Any]],
    consumers: dict[str, tuple[str, float]],
    window_seconds: int,
    limit_factor: float,
) -> list[str]:
    """consumers: name -> (API key value, usage plan rate limit in requests per second).

    Each consumer's requests count toward exactly one rate rule, not aggregated by IP, whose
    limit is its plan's rate over the window times the factor; requests without a consumer's
    key count toward a per-IP rule."""
    findings = []
    by_name = {r["Name"]: r for r in rules}
    for name, (key, rate) in sorted(consumers.items()):
        counting = rate_rules_counting(rules, {"x-api-key": key})
        if len(counting) != 1:
            findings.append(f"{name}: counted by {sorted(counting)}, expected one rule")
            continue
        rule = by_name[counting.pop()]["Statement"]["RateBasedStatement"]
        if rule["AggregateKeyType"] in {"IP", "FORWARDED_IP"}:
            findings.append(f"{name}: limited per IP address (a lender behind one NAT)")
        expected = max(100, int(-(-rate * window_seconds * limit_factor // 1)))
        if rule["Limit"] != expected or rule.get("EvaluationWindowSec", 300) != window_seconds:
            findings.append(
                f"{name}: limit {rule['Limit']} per {rule.get('EvaluationWindowSec', 300)} s, "
                f"expected {expected} per {window_seconds} s (plan rate {rate}/s x {limit_factor})"
            )
    for headers in ({}, {"x-api-key": "not-a-consumer-key"}):
        counting = rate_rules_counting(rules, headers)
        per_ip = [
            n
            for n in counting
            if by_name[n]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
        ]
        if not per_ip:
            findings.append(f"a request with headers {headers} is not limited per IP")
    return findings
