"""Input files: cut from the generated one, or written by hand."""

from __future__ import annotations

from pathlib import Path

from feature_pipeline.schema import RAW_HEADER
from tests.rows import raw_line


def customers_file(source: Path, target: Path, every: int = 1, limit: int | None = None) -> Path:
    """`source` cut down to every `every`-th of its first `limit` customers (all their loans)."""
    header, *lines = source.read_text().splitlines()
    customers = sorted({line.split(",", 2)[1] for line in lines})[:limit]
    kept = set(customers[::every])
    target.write_text("\n".join([header, *(x for x in lines if x.split(",", 2)[1] in kept)]) + "\n")
    return target


def small_file(path: Path, *extra_lines: str) -> Path:
    """Three loans of two customers (one positive), plus `extra_lines`."""
    lines = [
        raw_line(loan_id="1", id="10", loan_date="2019-01-02", status="1"),
        raw_line(loan_id="2", id="10", loan_date="2019-01-03"),
        raw_line(loan_id="3", id="11", loan_date="2019-01-03"),
        *extra_lines,
    ]
    path.write_text("\n".join([RAW_HEADER, *lines]) + "\n")
    return path
