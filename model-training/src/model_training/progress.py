"""Progress lines for long loops: items done, rate and time left, on interactive terminals only.

Quiet when stderr is not a terminal or `CI` is set, so CI logs and captured output stay clean.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)


class Advance(Protocol):
    def __call__(self, done: int = 1) -> None: ...


def interactive(stream: IO[str]) -> bool:
    return stream.isatty() and not os.environ.get("CI")


@contextmanager
def progress(description: str, total: int, stream: IO[str] | None = None) -> Iterator[Advance]:
    """Yield `advance(n)`; shows a live line when `stream` (default stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    if not interactive(stream):
        yield lambda done=1: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=Console(file=stream, force_terminal=True),
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total, rate="")

        def advance(done: int = 1) -> None:
            bar.advance(task, done)
            speed = bar.tasks[0].speed
            bar.update(task, rate=f"{speed * 60:.1f}/min" if speed else "")

        yield advance
