"""Input files cut from the generated one."""

from __future__ import annotations

from pathlib import Path


def customers_file(source: Path, target: Path, every: int = 1, limit: int | None = None) -> Path:
    """`source` cut down to every `every`-th of its first `limit` customers (all their loans)."""
    header, *lines = source.read_text().splitlines()
    customers = sorted({line.split(",", 2)[1] for line in lines})[:limit]
    kept = set(customers[::every])
    target.write_text("\n".join([header, *(x for x in lines if x.split(",", 2)[1] in kept)]) + "\n")
    return target
