"""Outcome of one check and how alerts map to the job's exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK, WARN, ALERT, SKIPPED = "ok", "warn", "alert", "skipped"

EXIT_OK = 0
EXIT_CRASH = 1  # an unexpected exception (Python's default)
EXIT_INPUT_ERROR = 2  # unreadable or contract-breaking input; also Typer usage errors
# One code per check, most severe first: with several alerts the job exits with the smallest.
EXIT_CODES = {
    "stability": 3,
    "skew": 4,
    "invariants": 5,
    "drift": 6,
    "quality": 7,
    "staleness": 8,
    "latency": 9,
}


@dataclass
class CheckResult:
    name: str
    status: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def exit_code(results: list[CheckResult]) -> int:
    alerting = [EXIT_CODES[result.name] for result in results if result.status == ALERT]
    return min(alerting) if alerting else EXIT_OK


def worst(statuses: list[str]) -> str:
    for status in (ALERT, WARN, OK):
        if status in statuses:
            return status
    return SKIPPED
