"""A stand-in for AWS CodeDeploy (Lambda compute platform) that executes deployments, for tests.

moto stores CodeDeploy applications, groups and deployments but never executes them: a
deployment stays ``Created``, ``StopDeployment``, ``GetDeploymentConfig`` and
``PutLifecycleEventHookExecutionStatus`` are not implemented and a group's alarm configuration
is not returned. This stand-in serves the CodeDeploy JSON API itself on a loopback port (point
boto3 at it with ``AWS_ENDPOINT_URL_CODEDEPLOY``; every other service stays on moto) and carries
out each Lambda deployment the way CodeDeploy does, against moto's Lambda and CloudWatch:

1. check the AppSpec and that the alias serves ``CurrentVersion``;
2. run the ``BeforeAllowTraffic`` hooks: "invoke" the hook function (a handler registered with
   ``register_hook``: moto's Lambda ``Invoke`` needs Docker) with ``{"DeploymentId",
   "LifecycleEventHookExecutionId"}``; the hook must report through
   ``PutLifecycleEventHookExecutionStatus`` before it returns;
3. shift the alias per the deployment configuration (canary p %, linear steps, all at once),
   polling the alarms (``ALARM`` stops the deployment) before every shift and before success;
4. run the ``AfterAllowTraffic`` hooks, then ``Succeeded``.

A failure or an alarm rolls the alias back to ``CurrentVersion`` when automatic rollback is
enabled (group or deployment), recorded as a rollback deployment created by
``codeDeployRollback``, like CodeDeploy.

Time does not pass by itself: ``advance()`` performs the next step (hooks and the first shift,
then one bake interval per call), ``run()`` goes to the end. With ``advance_on_poll`` every
``GetDeployment`` of an active deployment first advances it one step, so a boto3 waiter
polling with ``Delay=0`` sees the deployment progress one interval per poll - deterministic,
no sleeps, no threads racing.

What it assumes about CodeDeploy (where AWS does not document it, the safer reading):
* a deployment whose alias does not serve ``CurrentVersion`` fails before any hook;
* a hook that returns without reporting fails at once (CodeDeploy would wait up to an hour);
* ``INSUFFICIENT_DATA`` does not stop a deployment; an alarm that cannot be read fails it
  unless ``ignorePollAlarmFailure``;
* one active deployment per group (``DeploymentLimitExceededException`` otherwise);
* ``GetDeployment`` returns the ``revision`` (AppSpec content) it was created with.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACTIVE = {"Created", "Queued", "InProgress", "Baking", "Ready"}
ROLLBACK_CREATOR = "codeDeployRollback"
_PREDEFINED: dict[str, dict[str, Any]] = {
    "CodeDeployDefault.LambdaAllAtOnce": {"type": "AllAtOnce"}
}
for _minutes in (5, 10, 15, 30):
    _PREDEFINED[f"CodeDeployDefault.LambdaCanary10Percent{_minutes}Minutes"] = {
        "type": "TimeBasedCanary",
        "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": _minutes},
    }
for _minutes, _unit in ((1, "Minute"), (2, "Minutes"), (3, "Minutes"), (10, "Minutes")):
    _PREDEFINED[f"CodeDeployDefault.LambdaLinear10PercentEvery{_minutes}{_unit}"] = {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": 10, "linearInterval": _minutes},
    }

Hook = Callable[[dict[str, Any], Any], Any]
_last_creation = [0.0]


def _creation_time() -> float:
    """Strictly increasing creation times at AWS's millisecond precision (AWS creates a
    group's deployments one after another; tests create them faster than a millisecond)."""
    now = max(datetime.now(UTC).timestamp(), _last_creation[0] + 0.001)
    _last_creation[0] = now
    return round(now, 3)


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Deployment:
    deployment_id: str
    application: str
    group: str
    config_name: str
    revision: dict[str, Any]
    description: str
    creator: str = "user"
    status: str = "Created"
    created: float = field(default_factory=lambda: _creation_time())
    completed: float | None = None
    error: dict[str, str] | None = None
    rollback_info: dict[str, str] | None = None
    alarm_override: dict[str, Any] | None = None
    rollback_override: dict[str, Any] | None = None
    weight: float = 0.0  # share of traffic already on the target version
    hook_status: dict[str, str | None] = field(default_factory=dict)

    def appspec(self) -> dict[str, Any]:
        spec: dict[str, Any] = json.loads(self.revision["appSpecContent"]["content"])
        return spec

    def function(self) -> dict[str, str]:
        (resource,) = [item for entry in self.appspec()["Resources"] for item in entry.values()]
        properties: dict[str, str] = resource["Properties"]
        return properties

    def hooks(self, event: str) -> list[str]:
        return [
            name
            for item in self.appspec().get("Hooks", [])
            for e, name in item.items()
            if e == event
        ]

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "applicationName": self.application,
            "deploymentGroupName": self.group,
            "deploymentConfigName": self.config_name,
            "deploymentId": self.deployment_id,
            "revision": self.revision,
            "status": self.status,
            "createTime": self.created,
            "creator": self.creator,
            "description": self.description,
            "computePlatform": "Lambda",
        }
        optional = {
            "completeTime": self.completed,
            "errorInformation": self.error,
            "rollbackInfo": self.rollback_info,
            "overrideAlarmConfiguration": self.alarm_override,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        return data


class CodeDeployStandIn:
    def __init__(self, lambda_client: Any, cloudwatch: Any) -> None:
        self.lambda_client = lambda_client
        self.cloudwatch = cloudwatch
        self.applications: set[str] = set()
        self.groups: dict[tuple[str, str], dict[str, Any]] = {}
        self.configs: dict[str, dict[str, Any]] = dict(_PREDEFINED)
        self.deployments: dict[str, Deployment] = {}
        self.hooks: dict[str, Hook] = {}
        self.advance_on_poll = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll interval: shutdown() waits for the loop to notice (default 0.5 s).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> CodeDeployStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def register_hook(self, function_name: str, handler: Hook) -> None:
        """What "invoking" the hook function runs (in this process)."""
        self.hooks[function_name] = handler

    # --- API -------------------------------------------------------------------------------

    def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation in {"GetDeployment", "BatchGetDeployments"} and self.advance_on_poll:
            for deployment_id in body.get("deploymentIds") or [body.get("deploymentId")]:
                if deployment_id in self.deployments:
                    self._advance_if_active(deployment_id)
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            raise ApiError("UnknownOperationException", f"stand-in does not serve {operation}")
        with self._lock:
            result: dict[str, Any] = handler(body)
            return result

    def _op_CreateApplication(self, body: dict[str, Any]) -> dict[str, Any]:
        self.applications.add(body["applicationName"])
        return {"applicationId": str(uuid.uuid4())}

    def _op_CreateDeploymentConfig(self, body: dict[str, Any]) -> dict[str, Any]:
        self.configs[body["deploymentConfigName"]] = body["trafficRoutingConfig"]
        return {"deploymentConfigId": str(uuid.uuid4())}

    def _op_GetDeploymentConfig(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["deploymentConfigName"]
        if name not in self.configs:
            raise ApiError("DeploymentConfigDoesNotExistException", f"no config {name}")
        routing = self.configs[name]
        return {
            "deploymentConfigInfo": {
                "deploymentConfigName": name,
                "computePlatform": "Lambda",
                "trafficRoutingConfig": routing,
            }
        }

    def _op_CreateDeploymentGroup(self, body: dict[str, Any]) -> dict[str, Any]:
        if body["applicationName"] not in self.applications:
            raise ApiError("ApplicationDoesNotExistException", body["applicationName"])
        key = (body["applicationName"], body["deploymentGroupName"])
        self.groups[key] = {**body, "deploymentGroupId": str(uuid.uuid4())}
        return {"deploymentGroupId": self.groups[key]["deploymentGroupId"]}

    def _op_GetDeploymentGroup(self, body: dict[str, Any]) -> dict[str, Any]:
        group = self._group(body["applicationName"], body["deploymentGroupName"])
        return {"deploymentGroupInfo": {**group, "computePlatform": "Lambda"}}

    def _op_CreateDeployment(self, body: dict[str, Any]) -> dict[str, Any]:
        group = self._group(body["applicationName"], body["deploymentGroupName"])
        config = body.get("deploymentConfigName") or group["deploymentConfigName"]
        if config not in self.configs:
            raise ApiError("DeploymentConfigDoesNotExistException", f"no config {config}")
        for other in self.deployments.values():
            if (other.application, other.group) == (
                group["applicationName"],
                group["deploymentGroupName"],
            ) and other.status in ACTIVE:
                raise ApiError(
                    "DeploymentLimitExceededException",
                    f"The Deployment Group already has an active Deployment {other.deployment_id}",
                )
        deployment = Deployment(
            deployment_id=f"d-{uuid.uuid4().hex[:9].upper()}",
            application=group["applicationName"],
            group=group["deploymentGroupName"],
            config_name=config,
            revision=body["revision"],
            description=body.get("description", ""),
            alarm_override=body.get("overrideAlarmConfiguration"),
            rollback_override=body.get("autoRollbackConfiguration"),
        )
        self.deployments[deployment.deployment_id] = deployment
        return {"deploymentId": deployment.deployment_id}

    def _op_GetDeployment(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"deploymentInfo": self._deployment(body["deploymentId"]).info()}

    def _op_BatchGetDeployments(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"deploymentsInfo": [self._deployment(i).info() for i in body["deploymentIds"]]}

    def _op_ListDeployments(self, body: dict[str, Any]) -> dict[str, Any]:
        statuses = set(body.get("includeOnlyStatuses") or [])
        found = [
            d.deployment_id
            for d in sorted(self.deployments.values(), key=lambda d: d.created, reverse=True)
            if (d.application, d.group)
            == (body.get("applicationName"), body.get("deploymentGroupName"))
            and (not statuses or d.status in statuses)
        ]
        return {"deployments": found}

    def _op_StopDeployment(self, body: dict[str, Any]) -> dict[str, Any]:
        deployment = self._deployment(body["deploymentId"])
        if deployment.status not in ACTIVE:
            raise ApiError("DeploymentAlreadyCompletedException", deployment.deployment_id)
        rollback = body.get("autoRollbackEnabled")
        if rollback is None:
            rollback = self._rolls_back_on(deployment, "DEPLOYMENT_STOP_ON_REQUEST")
        self._end(deployment, "Stopped", "MANUAL_STOP", "stopped by request", rollback)
        return {"status": "Succeeded", "statusMessage": "stopped"}

    def _op_PutLifecycleEventHookExecutionStatus(self, body: dict[str, Any]) -> dict[str, Any]:
        deployment = self._deployment(body["deploymentId"])
        execution = body["lifecycleEventHookExecutionId"]
        if execution not in deployment.hook_status:
            raise ApiError("InvalidLifecycleEventHookExecutionIdException", execution)
        if deployment.hook_status[execution] is not None:
            raise ApiError("LifecycleEventAlreadyCompletedException", execution)
        deployment.hook_status[execution] = body["status"]
        return {"lifecycleEventHookExecutionId": execution}

    def _group(self, application: str, group: str) -> dict[str, Any]:
        if application not in self.applications:
            raise ApiError("ApplicationDoesNotExistException", application)
        if (application, group) not in self.groups:
            raise ApiError("DeploymentGroupDoesNotExistException", group)
        return self.groups[(application, group)]

    def _deployment(self, deployment_id: str) -> Deployment:
        if deployment_id not in self.deployments:
            raise ApiError("DeploymentDoesNotExistException", deployment_id)
        return self.deployments[deployment_id]

    def open_hook_execution(self, deployment_id: str) -> str:
        """A lifecycle hook execution id for a hook a test invokes itself."""
        execution = str(uuid.uuid4())
        self._deployment(deployment_id).hook_status[execution] = None
        return execution

    # --- execution -------------------------------------------------------------------------

    def active_deployment(self) -> Deployment:
        (active,) = [d for d in self.deployments.values() if d.status in ACTIVE]
        return active

    def advance(self, deployment_id: str | None = None) -> str:
        """One step of the (only) active deployment; returns its status afterwards."""
        deployment = self._deployment(deployment_id) if deployment_id else self.active_deployment()
        return self._advance_if_active(deployment.deployment_id)

    def run(self, deployment_id: str | None = None) -> str:
        deployment = self._deployment(deployment_id) if deployment_id else self.active_deployment()
        while deployment.status in ACTIVE:
            self._advance_if_active(deployment.deployment_id)
        return deployment.status

    def _advance_if_active(self, deployment_id: str) -> str:
        deployment = self.deployments[deployment_id]
        if deployment.status == "Created":
            self._start(deployment)
        elif deployment.status in ACTIVE:
            self._shift(deployment)
        return deployment.status

    def _start(self, deployment: Deployment) -> None:
        function = deployment.function()
        alias = self.lambda_client.get_alias(FunctionName=function["Name"], Name=function["Alias"])
        if alias["FunctionVersion"] != str(function["CurrentVersion"]):
            self._end(
                deployment,
                "Failed",
                "INVALID_LAMBDA_CONFIGURATION",
                f"alias serves {alias['FunctionVersion']}, not CurrentVersion",
                False,
            )
            return
        try:
            self.lambda_client.get_function_configuration(
                FunctionName=function["Name"], Qualifier=str(function["TargetVersion"])
            )
        except self.lambda_client.exceptions.ResourceNotFoundException:
            self._end(
                deployment,
                "Failed",
                "INVALID_LAMBDA_FUNCTION",
                f"TargetVersion {function['TargetVersion']} does not exist",
                False,
            )
            return
        deployment.status = "InProgress"
        if self._run_hooks(deployment, "BeforeAllowTraffic"):
            self._shift(deployment)

    def _shift(self, deployment: Deployment) -> None:
        if not self._alarms_quiet(deployment):
            return
        deployment.weight = self._next_weight(deployment)
        function = deployment.function()
        target = str(function["TargetVersion"])
        if deployment.weight >= 1.0:
            self._point_alias(function, target, None)
            if self._run_hooks(deployment, "AfterAllowTraffic") and self._alarms_quiet(deployment):
                deployment.status = "Succeeded"
                deployment.completed = datetime.now(UTC).timestamp()
        else:
            self._point_alias(
                function, str(function["CurrentVersion"]), (target, deployment.weight)
            )

    def _next_weight(self, deployment: Deployment) -> float:
        routing = self.configs[deployment.config_name]
        if routing["type"] == "TimeBasedCanary" and deployment.weight == 0.0:
            return float(routing["timeBasedCanary"]["canaryPercentage"]) / 100
        if routing["type"] == "TimeBasedLinear":
            step = float(routing["timeBasedLinear"]["linearPercentage"]) / 100
            return min(1.0, round(deployment.weight + step, 6))
        return 1.0

    def _point_alias(
        self, function: dict[str, str], version: str, shifted: tuple[str, float] | None
    ) -> None:
        weights = {shifted[0]: shifted[1]} if shifted else {}
        self.lambda_client.update_alias(
            FunctionName=function["Name"],
            Name=function["Alias"],
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": weights},
        )

    def _run_hooks(self, deployment: Deployment, event: str) -> bool:
        for function_name in deployment.hooks(event):
            execution = str(uuid.uuid4())
            deployment.hook_status[execution] = None
            handler = self.hooks.get(function_name.split(":")[-1])
            problem = None
            if handler is None:
                problem = f"hook function {function_name} cannot be invoked (not registered)"
            else:
                try:
                    handler(
                        {
                            "DeploymentId": deployment.deployment_id,
                            "LifecycleEventHookExecutionId": execution,
                        },
                        None,
                    )
                except Exception as error:  # the invocation failed: CodeDeploy gets no status
                    problem = f"hook {function_name} raised {type(error).__name__}: {error}"
            reported = deployment.hook_status[execution]
            if problem is None and reported != "Succeeded":
                problem = f"{event} hook {function_name} reported {reported or 'nothing'}"
            if problem is not None:
                self._end(
                    deployment,
                    "Failed",
                    "HOOK_EXECUTION_FAILURE",
                    problem,
                    self._rolls_back_on(deployment, "DEPLOYMENT_FAILURE"),
                )
                return False
        return True

    def _alarm_configuration(self, deployment: Deployment) -> dict[str, Any]:
        if deployment.alarm_override is not None:
            return deployment.alarm_override
        configuration: dict[str, Any] = (
            self.groups[(deployment.application, deployment.group)].get("alarmConfiguration") or {}
        )
        return configuration

    def _alarms_quiet(self, deployment: Deployment) -> bool:
        configuration = self._alarm_configuration(deployment)
        names = [alarm["name"] for alarm in configuration.get("alarms", [])]
        if not configuration.get("enabled") or not names:
            return True
        found = self.cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
        states = {alarm["AlarmName"]: alarm["StateValue"] for alarm in found}
        missing = [name for name in names if name not in states]
        firing = [name for name, state in states.items() if state == "ALARM"]
        if missing and not configuration.get("ignorePollAlarmFailure"):
            firing.extend(f"{name} (cannot be read)" for name in missing)
        if not firing:
            return True
        self._end(
            deployment,
            "Stopped",
            "ALARM_ACTIVE",
            f"One or more alarms have been activated: {', '.join(firing)}",
            self._rolls_back_on(deployment, "DEPLOYMENT_STOP_ON_ALARM"),
        )
        return False

    def _rolls_back_on(self, deployment: Deployment, event: str) -> bool:
        configuration = deployment.rollback_override
        if configuration is None:
            group = self.groups[(deployment.application, deployment.group)]
            configuration = group.get("autoRollbackConfiguration") or {}
        return bool(configuration.get("enabled")) and event in configuration.get("events", [event])

    def _end(
        self, deployment: Deployment, status: str, code: str, message: str, rollback: bool
    ) -> None:
        deployment.status = status
        deployment.completed = datetime.now(UTC).timestamp()
        deployment.error = {"code": code, "message": message}
        function = deployment.function()
        if not rollback:
            return
        self._point_alias(function, str(function["CurrentVersion"]), None)
        back = {
            **function,
            "CurrentVersion": function["TargetVersion"],
            "TargetVersion": function["CurrentVersion"],
        }
        content = json.dumps(
            {
                "version": 0.0,
                "Resources": [{"rollback": {"Type": "AWS::Lambda::Function", "Properties": back}}],
            }
        )
        rollback_deployment = Deployment(
            deployment_id=f"d-{uuid.uuid4().hex[:9].upper()}",
            application=deployment.application,
            group=deployment.group,
            config_name="CodeDeployDefault.LambdaAllAtOnce",
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
            description="",
            creator=ROLLBACK_CREATOR,
            status="Succeeded",
            completed=datetime.now(UTC).timestamp(),
            rollback_info={"rollbackTriggeringDeploymentId": deployment.deployment_id},
        )
        self.deployments[rollback_deployment.deployment_id] = rollback_deployment
        deployment.rollback_info = {
            "rollbackDeploymentId": rollback_deployment.deployment_id,
            "rollbackMessage": f"rolled back: {message}",
        }


def _handler_for(stand_in: CodeDeployStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            target = self.headers.get("X-Amz-Target", "")
            operation = target.rpartition(".")[2]
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            try:
                status, payload = 200, stand_in.call(operation, body)
            except ApiError as error:
                status, payload = 400, {"__type": error.code, "message": error.message}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
