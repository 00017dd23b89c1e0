"""Line accounting: every log line is a prediction event or counted as the reason it is not.

``lines_total = accepted + rejected + non_json + blank + other events`` holds after every run.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

# Fields a prediction line must carry (docs/contracts/prediction-log.md), in the order they are
# checked: a line missing several is rejected for the first one missing.
REQUIRED_FIELDS = (
    "timestamp",
    "as_of",
    "features",
    "model_version",
    "customer_ref",
    "store_run_id",
    "probability",
    "prediction",
    "latency_ms",
)

_fast_loads, _FastDecodeError = orjson.loads, orjson.JSONDecodeError
_loads = json.loads


def _parse(text: str) -> Any:
    """The JSON value of a line. orjson, because parsing is the job's largest cost (the README's
    benchmark has the figures); what it refuses, such as the NaN / Infinity
    literals Python's json.dumps writes, goes to the standard parser, so the stability check
    still sees such values. ValueError when neither reads it."""
    try:
        return _fast_loads(text)
    except _FastDecodeError:
        return _loads(text)


@dataclass
class LineCounts:
    lines_total: int = 0
    blank_lines: int = 0
    non_json_lines: int = 0
    other_events: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    accepted: int = 0

    def prediction_event(self, line: str) -> dict[str, Any] | None:
        """The JSON object of a prediction line; anything else is counted and None returned.

        A prefix before the first '{' (a CloudWatch export's timestamp and request id) is
        tolerated."""
        self.lines_total += 1
        start = line.find("{")
        if start < 0:
            if line.strip():
                self.non_json_lines += 1
            else:
                self.blank_lines += 1
            return None
        try:
            record = _parse(line[start:] if start else line)
        except ValueError:
            self.non_json_lines += 1
            return None
        if type(record) is not dict:
            self.non_json_lines += 1
            return None
        event = record.get("event")
        if event != "prediction":
            self.other_events[str(event)] += 1
            return None
        return record

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def skipped_lines(self) -> int:
        return self.non_json_lines + self.blank_lines + sum(self.other_events.values())

    @property
    def accounted_for(self) -> bool:
        return self.accepted + self.rejected_total + self.skipped_lines == self.lines_total

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines_total": self.lines_total,
            "predictions_accepted": self.accepted,
            "predictions_rejected": self.rejected_total,
            "rejected_reasons": dict(self.rejected),
            "lines_skipped": self.skipped_lines,
            "non_json_lines": self.non_json_lines,
            "blank_lines": self.blank_lines,
            "other_events": dict(self.other_events),
            "lines_accounted_for": self.accounted_for,
        }
