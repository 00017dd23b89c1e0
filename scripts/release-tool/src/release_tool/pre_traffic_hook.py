"""CodeDeploy ``BeforeAllowTraffic`` hook: check the new Lambda version before it takes traffic.

Deployed as its own Lambda function (``infra/modules/inference/hooks.tf``) from this one file:
it imports only the standard library and boto3 (which the Lambda runtime provides), never the
rest of ``release_tool``. CodeDeploy invokes it with ``{"DeploymentId",
"LifecycleEventHookExecutionId"}``; it reads the deployment's AppSpec (function, target
version), the target version's release record (model version and ``model_sha256``, written by
``release deploy``) and invokes that version with API Gateway HTTP API (payload 2.0) events:

* ``GET /ready``   -> 200 and ``status: ready`` (bundle loaded, feature store reachable);
* ``GET /version`` -> 200, ``model_version`` and ``model_sha256`` as recorded;
* ``POST /predict`` for ``KNOWN_CUSTOMER_ID`` -> 200, a probability in [0, 1], a 0/1 decision
  and the recorded ``model_version``.

Then it reports ``Succeeded`` or ``Failed`` with ``PutLifecycleEventHookExecutionStatus`` -
always, whatever went wrong, so a broken check fails the deployment instead of leaving it
waiting for CodeDeploy's one-hour hook timeout. Environment: ``KNOWN_CUSTOMER_ID`` (required),
``TARGET_FUNCTION_NAME`` (optional: refuse to test any other function).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import boto3

LOG = logging.getLogger("pre_traffic_hook")
LOG.setLevel(logging.INFO)
USER_AGENT = "credit-risk-pre-traffic-hook"
SHA256_HEX_LENGTH = 64

# (function name, qualifier, event) -> the function's response payload.
Invoke = Callable[[str, str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Target:
    function_name: str
    version: str


@dataclass(frozen=True)
class Expectation:
    model_version: str
    model_sha256: str


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class HookError(Exception):
    """The hook cannot even start checking (no target, no expectations)."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    lambda_client = boto3.client("lambda")
    return run_hook(
        event,
        codedeploy=boto3.client("codedeploy"),
        lambda_client=lambda_client,
        invoke=lambda_invoker(lambda_client),
        customer_id=os.environ.get("KNOWN_CUSTOMER_ID", ""),
        allowed_function=os.environ.get("TARGET_FUNCTION_NAME") or None,
    )


def run_hook(
    event: dict[str, Any],
    *,
    codedeploy: Any,
    lambda_client: Any,
    invoke: Invoke,
    customer_id: str,
    allowed_function: str | None = None,
) -> dict[str, Any]:
    """Check the deployment's target version and report the verdict to CodeDeploy."""
    deployment_id = event["DeploymentId"]
    checks: list[Check] = []
    target: Target | None = None
    try:
        target = deployment_target(codedeploy, deployment_id, allowed_function)
        expected = expectation(lambda_client, target)
        checks = check_version(invoke, target, expected, customer_id)
    except Exception as error:  # any failure fails the hook; it must never leave it hanging
        checks.append(Check("error", False, f"{type(error).__name__}: {error}"))
    status = "Succeeded" if checks and all(check.ok for check in checks) else "Failed"
    codedeploy.put_lifecycle_event_hook_execution_status(
        deploymentId=deployment_id,
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    report = {
        "deployment_id": deployment_id,
        "target": asdict(target) if target else None,
        "status": status,
        "checks": [asdict(check) for check in checks],
    }
    LOG.info(json.dumps(report))
    return report


def deployment_target(codedeploy: Any, deployment_id: str, allowed: str | None) -> Target:
    """Function and target version from the deployment's AppSpec."""
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    content = (info.get("revision") or {}).get("appSpecContent", {}).get("content")
    if not content:
        raise HookError(f"deployment {deployment_id} has no AppSpec content")
    resources = [
        entry
        for item in json.loads(content).get("Resources", [])
        for entry in item.values()
        if entry.get("Type") == "AWS::Lambda::Function"
    ]
    if len(resources) != 1:
        raise HookError(f"deployment {deployment_id} does not deploy exactly one function")
    properties = resources[0]["Properties"]
    target = Target(str(properties["Name"]), str(properties["TargetVersion"]))
    if allowed and target.function_name.split(":")[-1] != allowed:
        raise HookError(f"this hook checks {allowed}, not {target.function_name}")
    return target


def expectation(lambda_client: Any, target: Target) -> Expectation:
    """What ``release deploy`` recorded the version serves (its description)."""
    config = lambda_client.get_function_configuration(
        FunctionName=target.function_name, Qualifier=target.version
    )
    try:
        record = json.loads(config.get("Description") or "")
    except ValueError:
        record = None
    if not isinstance(record, dict) or not record.get("model_version"):
        raise HookError(f"version {target.version} has no release record (not `release deploy`ed)")
    sha = str(record.get("model_sha256") or "")
    if len(sha) != SHA256_HEX_LENGTH:
        raise HookError(f"version {target.version} has no recorded model_sha256")
    return Expectation(str(record["model_version"]), sha)


def check_version(
    invoke: Invoke, target: Target, expected: Expectation, customer_id: str
) -> list[Check]:
    def call(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        event = http_event(method, path, body)
        return decode_response(invoke(target.function_name, target.version, event))

    return [
        check_ready(*call("GET", "/ready", None)),
        check_identity(*call("GET", "/version", None), expected),
        check_score(*call("POST", "/predict", {"id": customer_id}), expected, customer_id),
    ]


def check_ready(status: int, body: Any) -> Check:
    ok = status == 200 and isinstance(body, dict) and body.get("status") == "ready"
    return Check("ready", ok, f"GET /ready -> {status} {_short(body)}")


def check_identity(status: int, body: Any, expected: Expectation) -> Check:
    if status != 200 or not isinstance(body, dict):
        return Check("version", False, f"GET /version -> {status} {_short(body)}")
    served = (str(body.get("model_version")), str(body.get("model_sha256")))
    wanted = (expected.model_version, expected.model_sha256)
    detail = (
        f"serves model {served[0]} sha256 {served[1][:12]}, expected {wanted[0]} {wanted[1][:12]}"
    )
    return Check("version", served == wanted, detail)


def check_score(status: int, body: Any, expected: Expectation, customer_id: str) -> Check:
    if not customer_id:
        return Check("score", False, "KNOWN_CUSTOMER_ID is not set")
    if status != 200 or not isinstance(body, dict):
        return Check("score", False, f"POST /predict -> {status} {_short(body)}")
    probability = body.get("probability")
    problems = []
    if str(body.get("id")) != str(int(customer_id)):
        problems.append(f"answered for id {body.get('id')}")
    if not isinstance(probability, int | float) or not 0.0 <= probability <= 1.0:
        problems.append(f"probability {probability!r} outside [0, 1]")
    if body.get("prediction") not in (0, 1):
        problems.append(f"prediction {body.get('prediction')!r} is not 0/1")
    if str(body.get("model_version")) != expected.model_version:
        problems.append(f"scored by model {body.get('model_version')}")
    detail = "; ".join(problems) or f"customer {customer_id} scored {probability}"
    return Check("score", not problems, detail)


def http_event(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) request, as API Gateway sends it."""
    raw = json.dumps(body) if body is not None else ""
    now = time.time()
    request_id = f"pre-traffic-{int(now * 1000)}-{path.strip('/')}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "content-length": str(len(raw)),
            "content-type": "application/json",
            "host": "pre-traffic-hook.internal",
            "user-agent": USER_AGENT,
            "x-request-id": request_id,
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "pre-traffic-hook",
            "domainName": "pre-traffic-hook.internal",
            "domainPrefix": "pre-traffic-hook",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": USER_AGENT,
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": raw,
        "isBase64Encoded": False,
    }


def decode_response(payload: dict[str, Any]) -> tuple[int, Any]:
    """(status code, JSON body) of a Lambda proxy response; (0, error) for a crashed invoke."""
    if "statusCode" not in payload:
        return 0, payload.get("errorMessage", payload)
    text = payload.get("body") or ""
    if payload.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = text
    return int(payload["statusCode"]), body


def lambda_invoker(lambda_client: Any) -> Invoke:
    """Invoke a function version synchronously and return its response payload."""

    def invoke(function_name: str, qualifier: str, event: dict[str, Any]) -> dict[str, Any]:
        response = lambda_client.invoke(
            FunctionName=function_name,
            Qualifier=qualifier,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
        payload = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            return {"errorMessage": f"{response['FunctionError']}: {_short(payload)}"}
        return payload if isinstance(payload, dict) else {"errorMessage": _short(payload)}

    return invoke


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."
