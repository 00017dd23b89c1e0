"""Progress lines while a full-size file is written: rows done, rate and time left.

Only on an interactive terminal (stderr is a TTY) and outside CI (`CI` unset): pipes, captured
output and CI logs stay exactly as they were.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO


class RowProgress:
    """Call with the rows just written; prints at most one line every ``every_seconds``."""

    def __init__(
        self,
        total: int,
        stream: IO[str] | None = None,
        *,
        every_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty() and not environ.get("CI")
        self.total = total
        self.done = 0
        self._clock = clock
        self._every = every_seconds
        self._started = self._last = clock()

    def __call__(self, rows: int) -> None:
        self.done += rows
        if not self.enabled:
            return
        now = self._clock()
        if now - self._last < self._every and self.done < self.total:
            return
        self._last = now
        elapsed = now - self._started
        total = max(self.total, self.done)  # injected defect rows come on top of the estimate
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = f"{(total - self.done) / rate:.0f} s left" if rate > 0 else "time left unknown"
        print(
            f"writing: {self.done:,} of {total:,} lines ({self.done / total:.0%}), "
            f"{rate:,.0f} lines/s, {left}",
            file=self.stream,
            flush=True,
        )
