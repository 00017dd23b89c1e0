from __future__ import annotations

import io

import pytest

from risk_monitoring.progress import Progress, interactive


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_lines_show_lines_rate_share_and_time_left() -> None:
    terminal, clock = Terminal(), Clock()
    progress = Progress(
        "logs", 400_000_000, stream=terminal, interval=10, enabled=True, clock=clock
    )
    clock.now += 5
    progress.update(100_000, 50_000_000)  # before the interval: nothing
    clock.now += 5
    progress.update(200_000, 100_000_000)  # 10 s for a quarter: 30 s left
    clock.now += 30
    progress.finish(800_000, 400_000_000)
    assert terminal.getvalue().splitlines() == [
        "logs: 200,000 lines, 100.0 of 400.0 MB (25%), 20,000 lines/s, about 30 s left",
        "logs: 800,000 lines, 20,000 lines/s, done in 40 s",
    ]


def test_without_a_known_size_there_is_no_time_left() -> None:
    terminal, clock = Terminal(), Clock()
    progress = Progress("logs", None, stream=terminal, interval=1, enabled=True, clock=clock)
    clock.now += 90
    progress.update(9_000, 1_000)
    assert terminal.getvalue() == "logs: 9,000 lines, 100 lines/s\n"


@pytest.mark.parametrize(
    ("stream", "ci", "expected"),
    [
        (Terminal(), None, True),
        (Terminal(), "true", False),
        (io.StringIO(), None, False),  # a pipe or a log file
    ],
)
def test_progress_only_on_an_interactive_terminal_outside_ci(
    stream: io.StringIO, ci: str | None, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if ci:
        monkeypatch.setenv("CI", ci)
    else:
        monkeypatch.delenv("CI", raising=False)
    assert interactive(stream) is expected
    clock = Clock()
    progress = Progress("logs", 10, stream=stream, interval=0, clock=clock)
    clock.now += 1
    progress.update(1, 5)
    progress.finish(2, 10)
    assert len(stream.getvalue().splitlines()) == (2 if expected else 0)
