"""Progress lines: on terminals, never in pipes or CI."""

from __future__ import annotations

import io

import pytest

from model_training.progress import progress


def test_progress_is_shown_on_terminals_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    shown, piped = Terminal(), io.StringIO()
    for stream in (shown, piped):
        with progress("search", 4, stream) as advance:
            for _ in range(4):
                advance()
    assert "search" in shown.getvalue()
    assert "4/4" in shown.getvalue()
    assert piped.getvalue() == ""
    monkeypatch.setenv("CI", "true")
    quiet = Terminal()
    with progress("search", 2, quiet) as advance:
        advance()
    assert quiet.getvalue() == ""
