"""The CloudWatch alarms that gate a release (canary watch and promote)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from release_tool.errors import ConfigurationError, RefusedError
from release_tool.lambda_function import aws_errors

ALARM = "ALARM"
_ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]
_NAMES_PER_CALL = 100  # DescribeAlarms accepts at most 100 names


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str
    updated_at: str | None

    @property
    def firing(self) -> bool:
        # INSUFFICIENT_DATA is not a failure: a quiet canary often has too few data points.
        # This matches how CodeDeploy treats alarms during a Lambda deployment.
        return self.state == ALARM

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AlarmGate:
    """Alarms selected by exact names and/or a name prefix."""

    def __init__(self, client: Any, names: list[str], prefix: str | None) -> None:
        self._client = client
        self.names = list(dict.fromkeys(names))
        self.prefix = prefix

    @property
    def configured(self) -> bool:
        return bool(self.names or self.prefix)

    def describe(self) -> str:
        parts = []
        if self.names:
            parts.append(f"names {', '.join(self.names)}")
        if self.prefix:
            parts.append(f"prefix {self.prefix!r}")
        return " and ".join(parts) or "no alarms"

    def states(self) -> list[AlarmState]:
        """Current state of every gating alarm.

        Refuses when the selection is empty or names an alarm that does not exist: a typo in the
        alarm configuration must never turn into a gate that always passes.
        """
        if not self.configured:
            raise ConfigurationError(
                "no gating alarms configured: pass --alarm-name/--alarm-prefix or set "
                "RELEASE_ALARM_NAMES / RELEASE_ALARM_PREFIX"
            )
        found: dict[str, AlarmState] = {}
        with aws_errors("reading CloudWatch alarms"):
            paginator = self._client.get_paginator("describe_alarms")
            for start in range(0, len(self.names), _NAMES_PER_CALL):
                chunk = self.names[start : start + _NAMES_PER_CALL]
                for page in paginator.paginate(AlarmNames=chunk, AlarmTypes=_ALARM_TYPES):
                    found.update(_states_in(page))
            if self.prefix:
                for page in paginator.paginate(
                    AlarmNamePrefix=self.prefix, AlarmTypes=_ALARM_TYPES
                ):
                    found.update(_states_in(page))
        missing = [name for name in self.names if name not in found]
        if missing:
            raise RefusedError(f"gating alarm(s) not found in CloudWatch: {', '.join(missing)}")
        if not found:
            raise RefusedError(f"no CloudWatch alarm matches the gating {self.describe()}")
        return sorted(found.values(), key=lambda alarm: alarm.name)


def firing(states: list[AlarmState]) -> list[AlarmState]:
    return [alarm for alarm in states if alarm.firing]


def _states_in(page: dict[str, Any]) -> dict[str, AlarmState]:
    states = {}
    for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
        updated = alarm.get("StateUpdatedTimestamp")
        states[alarm["AlarmName"]] = AlarmState(
            name=alarm["AlarmName"],
            state=alarm.get("StateValue", "INSUFFICIENT_DATA"),
            reason=alarm.get("StateReason", ""),
            updated_at=updated.isoformat() if hasattr(updated, "isoformat") else updated,
        )
    return states
