"""Writing the CSV (and the defects manifest) atomically, with a fingerprint of the bytes."""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loan_generator import schema
from loan_generator.config import DEFAULTS, GENERATOR_VERSION
from loan_generator.dataset import LoanDataset
from loan_generator.defects import (
    DEFECT_KINDS,
    OUT_OF_WINDOW_AFTER,
    OUT_OF_WINDOW_BEFORE,
    InjectedDefect,
    plan_defects,
)
from loan_generator.formatting import HEADER, RowFormatter

_CHUNK_ROWS = 50_000
MANIFEST_FORMAT_VERSION = 1


@dataclass(frozen=True)
class WriteReport:
    path: Path
    sha256: str
    bytes_written: int
    rows_written: int  # data rows, header excluded
    clean_rows: int
    defects: list[dict[str, Any]] = field(default_factory=list)  # manifest entries, by line

    @property
    def defect_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(DEFECT_KINDS, 0)
        for entry in self.defects:
            counts[entry["kind"]] += 1
        return counts


def validate_defect_rate(rate: float) -> None:
    if not isinstance(rate, int | float) or isinstance(rate, bool) or rate != rate:
        raise ValueError(f"defect rate must be a number, got {rate!r}")
    if not 0.0 <= rate <= DEFAULTS.max_defect_rate:
        raise ValueError(
            f"defect rate must be between 0 and {DEFAULTS.max_defect_rate}, got {rate}"
        )


def _lines(
    dataset: LoanDataset, formatter: RowFormatter, placed: list[tuple[InjectedDefect, int]]
) -> Iterator[str]:
    """The file's text in chunks: header, clean rows in file order, injected rows after anchors."""
    yield HEADER + "\n"
    order = dataset.file_order.tolist()
    pending = iter(placed)
    upcoming = next(pending, None)
    for start in range(0, len(order), _CHUNK_ROWS):
        rows = formatter.rows(order[start : start + _CHUNK_ROWS])
        if upcoming is None or upcoming[0].anchor >= start + len(rows):
            yield "\n".join(rows) + "\n"
            continue
        merged: list[str] = []
        for offset, row in enumerate(rows):
            merged.append(row)
            while upcoming is not None and upcoming[0].anchor == start + offset:
                merged.append(upcoming[0].text)
                upcoming = next(pending, None)
        yield "\n".join(merged) + "\n"


def _place(defects: list[InjectedDefect]) -> list[tuple[InjectedDefect, int]]:
    """Sort injected rows by position and give each its 1-based line number (header = 1)."""
    ordered = sorted(enumerate(defects), key=lambda item: (item[1].anchor, item[0]))
    # Clean row at file position p is on line p + 2; the j-th injected row (0-based, in file
    # order) follows anchor a, after a + 1 clean rows and j earlier injected rows.
    return [(defect, defect.anchor + j + 3) for j, (_, defect) in enumerate(ordered)]


def _manifest_entries(placed: list[tuple[InjectedDefect, int]]) -> list[dict[str, Any]]:
    anchors = [defect.anchor for defect, _ in placed]  # sorted
    entries: list[dict[str, Any]] = []
    for defect, line in placed:
        entry: dict[str, Any] = {
            "line": line,
            "kind": defect.kind,
            "loan_id": defect.loan_id,
            "column": defect.column,
            "value": defect.value,
            "fields": defect.text.count(",") + 1,
        }
        if defect.original_anchor is not None:
            # Clean row p follows the header, p clean rows and the rows injected before it.
            injected_before = bisect.bisect_left(anchors, defect.original_anchor)
            entry["duplicate_of_line"] = defect.original_anchor + 2 + injected_before
        entries.append(entry)
    return entries


def _atomic_write(path: Path, chunks: Iterator[str]) -> tuple[str, int]:
    """Write through a temporary file in the same folder, then rename: never a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    size = 0
    try:
        with temporary.open("wb") as out:
            for chunk in chunks:
                data = chunk.encode("ascii")
                digest.update(data)
                size += len(data)
                out.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def _counted(chunks: Iterator[str], on_lines: Callable[[int], None]) -> Iterator[str]:
    for chunk in chunks:
        yield chunk
        on_lines(chunk.count("\n"))


def write_csv(
    dataset: LoanDataset,
    path: str | os.PathLike[str],
    defects_rate: float = 0.0,
    on_lines: Callable[[int], None] | None = None,
) -> WriteReport:
    """Write the dataset as CSV, optionally with injected defect rows; returns what was written.

    ``on_lines`` is told how many lines (header included) each written chunk held.
    """
    validate_defect_rate(defects_rate)
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"output path is a directory: {target}")
    formatter = RowFormatter(dataset)
    placed = _place(plan_defects(dataset, formatter, defects_rate))
    chunks = _lines(dataset, formatter, placed)
    if on_lines is not None:
        chunks = _counted(chunks, on_lines)
    sha256, size = _atomic_write(target, chunks)
    return WriteReport(
        path=target,
        sha256=sha256,
        bytes_written=size,
        rows_written=dataset.rows + len(placed),
        clean_rows=dataset.rows,
        defects=_manifest_entries(placed),
    )


def build_manifest(
    dataset: LoanDataset, report: WriteReport, customers: int, defects_rate: float
) -> dict[str, Any]:
    return {
        "format_version": MANIFEST_FORMAT_VERSION,
        "generator": {"name": "loan-generator", "version": GENERATOR_VERSION},
        "arguments": {"customers": customers, "seed": dataset.seed, "defects": defects_rate},
        "file": {
            "name": report.path.name,
            "sha256": report.sha256,
            "bytes": report.bytes_written,
            "lines": report.rows_written + 1,
        },
        "rows_written": report.rows_written,
        "clean_rows": report.clean_rows,
        "defect_rows": len(report.defects),
        "defect_counts": report.defect_counts,
        "conventions": {
            "line_numbers": "1-based; the header is line 1",
            "duplicate_loan_id": (
                "the later line with a loan_id is the duplicate; the first stays clean"
            ),
            "loan_date_window": [
                schema.LOAN_WINDOW_START.isoformat(),
                schema.LOAN_WINDOW_END.isoformat(),
            ],
            "out_of_window_loan_dates": (
                f"before {OUT_OF_WINDOW_BEFORE.isoformat()} "
                f"or after {OUT_OF_WINDOW_AFTER.isoformat()}"
            ),
            "one_defect_per_row": True,
        },
        "defects": report.defects,
    }


def write_manifest(manifest: dict[str, Any], path: str | os.PathLike[str]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    _atomic_write(Path(path), iter([text]))
