"""Progress lines while writing: on an interactive terminal only, never in CI logs or pipes."""

from __future__ import annotations

import io
from pathlib import Path

from loan_generator.csv_writer import write_csv
from loan_generator.dataset import generate_loans
from loan_generator.progress import RowProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_show_done_rate_and_time_left_every_interval() -> None:
    terminal, clock = Terminal(), Clock()
    progress = RowProgress(1000, terminal, every_seconds=2.0, clock=clock, environ={})
    clock.now += 1.0
    progress(100)  # within the interval: nothing yet
    clock.now += 1.0
    progress(100)  # 200 lines in 2 s: 100/s, 800 left -> 8 s
    clock.now += 0.5
    progress(300)
    clock.now += 2.5
    progress(500)  # the last lines: always shown
    assert terminal.getvalue().splitlines() == [
        "writing: 200 of 1,000 lines (20%), 100 lines/s, 8 s left",
        "writing: 1,000 of 1,000 lines (100%), 200 lines/s, 0 s left",
    ]


def test_quiet_in_ci_and_when_not_a_terminal() -> None:
    for stream, environ in ((Terminal(), {"CI": "true"}), (io.StringIO(), {})):
        progress = RowProgress(10, stream, every_seconds=0.0, environ=environ)
        progress(10)
        assert stream.getvalue() == ""
        assert progress.done == 10


def test_the_writer_reports_every_line_it_writes(tmp_path: Path) -> None:
    dataset = generate_loans(300, 5)
    seen: list[int] = []
    report = write_csv(dataset, tmp_path / "loans.csv", defects_rate=0.01, on_lines=seen.append)
    lines = (tmp_path / "loans.csv").read_text().count("\n")
    assert sum(seen) == lines == report.rows_written + 1
