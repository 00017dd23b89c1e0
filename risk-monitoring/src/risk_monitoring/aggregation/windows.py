"""Time windows ("hour" or "day" buckets of the UTC timestamp) and model versions as indexes."""

from __future__ import annotations

from datetime import datetime

from risk_monitoring.errors import InputError


class TimeWindows:
    """Index of the window of an ISO-8601 timestamp, by its prefix (UTC by contract)."""

    def __init__(self, window: str, max_windows: int) -> None:
        self.prefix_length = 13 if window == "hour" else 10
        self._format = "%Y-%m-%dT%H" if window == "hour" else "%Y-%m-%d"
        self.max_windows = max_windows
        self.keys: list[str] = []
        self.index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, timestamp: str) -> int:
        """Index of a window not seen yet (-1 when the timestamp is not ISO-8601)."""
        key = timestamp[: self.prefix_length]
        try:
            datetime.strptime(key, self._format)
        except ValueError:
            return -1
        if len(self.keys) >= self.max_windows:
            raise InputError(
                f"more than {self.max_windows} time windows in the logs; use a coarser window"
            )
        self.index[key] = len(self.keys)
        self.keys.append(key)
        return self.index[key]


class Labels:
    """Index of string labels (model versions) in order of first appearance."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.index: dict[str, int] = {}

    def add(self, key: str) -> int:
        self.index[key] = len(self.keys)
        self.keys.append(key)
        return self.index[key]
