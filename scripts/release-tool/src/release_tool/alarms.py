"""The alarms CodeDeploy watches during a deployment, pointed at the version being released.

The deployment group's alarms are per-version alarms (Terraform: the inference module's canary
alarms): Lambda's own metrics through the alias carry ``ExecutedVersion``, the service's EMF
metrics carry ``function_version`` (and may carry ``model_version``). Before a deployment
starts, ``point_at`` rewrites those dimensions to the target version, so the canary is judged
on its own requests, not diluted by the 90 % still served by the old version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from release_tool.aws import aws_errors
from release_tool.errors import RefusedError

ALARM = "ALARM"
VERSION_DIMENSIONS = frozenset({"ExecutedVersion", "function_version"})
MODEL_DIMENSION = "model_version"
_NAMES_PER_CALL = 100  # DescribeAlarms accepts at most 100 names
# What DescribeAlarms returns that PutMetricAlarm takes back unchanged.
_COPIED = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "ThresholdMetricId",
)


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str
    watches_version: str | None  # the Lambda version its metric is filtered on, if any

    @property
    def firing(self) -> bool:
        # INSUFFICIENT_DATA does not stop a deployment (CodeDeploy's rule, too): a quiet
        # canary often has too few data points.
        return self.state == ALARM

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class CanaryAlarms:
    def __init__(self, client: Any, names: list[str]) -> None:
        self._client = client
        self.names = list(dict.fromkeys(names))

    def _describe(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with aws_errors("reading CloudWatch alarms"):
            paginator = self._client.get_paginator("describe_alarms")
            for start in range(0, len(self.names), _NAMES_PER_CALL):
                chunk = self.names[start : start + _NAMES_PER_CALL]
                for page in paginator.paginate(AlarmNames=chunk, AlarmTypes=["MetricAlarm"]):
                    found.update({alarm["AlarmName"]: alarm for alarm in page["MetricAlarms"]})
        missing = [name for name in self.names if name not in found]
        if missing:
            raise RefusedError(
                f"alarm(s) of the deployment group not found in CloudWatch: {', '.join(missing)}"
            )
        return found

    def states(self) -> list[AlarmState]:
        described = self._describe()
        return [
            AlarmState(
                name=name,
                state=alarm.get("StateValue", "INSUFFICIENT_DATA"),
                reason=alarm.get("StateReason", ""),
                watches_version=_watched_version(alarm),
            )
            for name, alarm in sorted(described.items())
        ]

    def point_at(self, version: str, model_version: str | None) -> list[str]:
        """Re-point every per-version alarm at ``version``; returns the names changed."""
        changed = []
        for name, alarm in sorted(self._describe().items()):
            if _watched_version(alarm) is None:
                continue  # an alarm on the whole alias or stage: nothing to re-point
            params = _put_params(alarm, version, model_version)
            with aws_errors(f"pointing alarm {name} at version {version}"):
                self._client.put_metric_alarm(**params)
                # Its state still describes the metric it watched before: start from "no data"
                # (which does not stop a deployment) until CloudWatch evaluates the new one.
                self._client.set_alarm_state(
                    AlarmName=name,
                    StateValue="INSUFFICIENT_DATA",
                    StateReason=f"now watching Lambda version {version} (release canary)",
                )
            changed.append(name)
        return changed


def _dimensions(alarm: dict[str, Any]) -> list[dict[str, str]]:
    dimensions = list(alarm.get("Dimensions") or [])
    for query in alarm.get("Metrics") or []:
        dimensions.extend(
            ((query.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions") or []
        )
    return dimensions


def _watched_version(alarm: dict[str, Any]) -> str | None:
    values = {d["Value"] for d in _dimensions(alarm) if d["Name"] in VERSION_DIMENSIONS}
    return ",".join(sorted(values)) if values else None


def _retarget(dimensions: list[dict[str, str]], version: str, model: str | None) -> list[Any]:
    result = []
    for dimension in dimensions:
        value = dimension["Value"]
        if dimension["Name"] in VERSION_DIMENSIONS:
            value = version
        elif dimension["Name"] == MODEL_DIMENSION and model:
            value = model
        result.append({"Name": dimension["Name"], "Value": value})
    return result


def _put_params(alarm: dict[str, Any], version: str, model: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"AlarmName": alarm["AlarmName"]}
    params.update({key: alarm[key] for key in _COPIED if alarm.get(key) is not None})
    if alarm.get("Dimensions"):
        params["Dimensions"] = _retarget(alarm["Dimensions"], version, model)
    if alarm.get("Metrics"):
        queries = []
        for query in alarm["Metrics"]:
            query = {key: value for key, value in query.items() if value is not None}
            metric = (query.get("MetricStat") or {}).get("Metric")
            if metric and metric.get("Dimensions"):
                stat = dict(query["MetricStat"])
                stat["Metric"] = {
                    **metric,
                    "Dimensions": _retarget(metric["Dimensions"], version, model),
                }
                query["MetricStat"] = stat
            queries.append(query)
        params["Metrics"] = queries
    return params
