"""Progress lines for long reads: on an interactive terminal only, silent in CI logs and pipes.

A day of logs takes minutes; a person at a terminal sees every ``interval`` seconds how many
lines are done, the rate and, where the input's size is known, the time left (estimated from the
stored bytes read, which for gzip objects are the compressed bytes).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TextIO


def interactive(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    return stream.isatty() and not environ.get("CI")


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


class Progress:
    def __init__(
        self,
        label: str,
        total_bytes: int | None,
        *,
        stream: TextIO | None = None,
        interval: float = 10.0,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total_bytes = total_bytes
        self.stream = stream or sys.stderr
        self.interval = interval
        self.enabled = interactive(self.stream) if enabled is None else enabled
        self._clock = clock
        self._started = self._last = clock()

    def update(self, lines: int, bytes_read: int) -> None:
        if self.enabled and self._clock() - self._last >= self.interval:
            self._write(lines, bytes_read)

    def finish(self, lines: int, bytes_read: int) -> None:
        if self.enabled:
            self._write(lines, bytes_read, done=True)

    def _write(self, lines: int, bytes_read: int, done: bool = False) -> None:
        now = self._clock()
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        parts = [f"{self.label}: {lines:,} lines", f"{lines / elapsed:,.0f} lines/s"]
        if self.total_bytes and not done:
            share = min(bytes_read / self.total_bytes, 1.0)
            parts.insert(
                1, f"{bytes_read / 1e6:.1f} of {self.total_bytes / 1e6:.1f} MB ({share:.0%})"
            )
            if share > 0:
                parts.append(f"about {_duration(elapsed * (1 - share) / share)} left")
        parts.append(f"done in {_duration(elapsed)}" if done else "")
        self.stream.write(", ".join(part for part in parts if part) + "\n")
        self.stream.flush()
