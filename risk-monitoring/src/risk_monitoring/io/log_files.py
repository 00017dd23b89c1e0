"""Which log objects a run reads, and reading their lines once (hashed, with progress).

- ``logs_window = "previous_day"`` turns each log prefix ``s3://bucket/predictions/`` into
  ``s3://bucket/predictions/<yesterday, UTC>/``: the layout the prediction-log Firehose stream
  writes (``predictions/!{timestamp:yyyy-MM-dd}/``), so a daily schedule reads exactly the
  previous day's objects.
- ``day_prefixes`` gives the daily prefixes of a date range (the outcomes command reads the days
  on which the judged loans' predictions can have been made); days without objects are skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from risk_monitoring.errors import InputError
from risk_monitoring.io import storage
from risk_monitoring.progress import Progress

LOG_WINDOWS = ("all", "previous_day")


def logs_for_window(logs: list[str], window: str | None, now: datetime) -> list[str]:
    """The log inputs a run with this window reads (``all``/None: the inputs unchanged)."""
    if window in (None, "", "all"):
        return list(logs)
    if window != "previous_day":
        expected = ", ".join(LOG_WINDOWS)
        raise InputError(f"unknown logs_window {window!r}: expected one of {expected}")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    day = now.astimezone(UTC).date() - timedelta(days=1)
    return day_prefixes(logs, day, day)


def day_prefixes(logs: list[str], first: date, last: date) -> list[str]:
    resolved = []
    for uri in logs:
        if not uri.endswith("/"):
            raise InputError(f"a daily log window needs log prefixes ending in '/', got {uri}")
        days = (last - first).days + 1
        resolved += [f"{uri}{(first + timedelta(days=i)).isoformat()}/" for i in range(days)]
    return resolved


class LogLines:
    """The lines of the log files in order; records their SHA-256 and reports progress."""

    def __init__(self, files: list[storage.StoredFile], progress_label: str = "logs") -> None:
        self.files = files
        self.digest = hashlib.sha256()
        sizes = [stored.size for stored in files]
        total = sum(size for size in sizes if size) if all(sizes) else None
        self.progress = Progress(progress_label, total)

    def __iter__(self) -> Iterator[str]:
        update = self.digest.update
        counter = storage.ByteCounter()
        lines = 0
        for stored in self.files:
            with storage.open_text(stored.uri, counter) as stream:
                while block := stream.readlines(1 << 20):
                    update("".join(block).encode("utf-8"))
                    lines += len(block)
                    yield from block
                    self.progress.update(lines, counter.bytes_read)
        self.progress.finish(lines, counter.bytes_read)

    @property
    def fingerprint(self) -> str:
        return "sha256:" + self.digest.hexdigest()
