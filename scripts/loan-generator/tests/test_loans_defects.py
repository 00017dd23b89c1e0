"""--defects: an independent validator must find exactly the manifest's defects, one per row."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lg_helpers import COL, SEED, WINDOW_END, WINDOW_START, generate, parse_date

CUSTOMERS = 2_000
RATE = 0.01
KINDS = {
    "BAD_DATE", "DATE_OUT_OF_WINDOW", "NEGATIVE_AMOUNT", "NON_NUMERIC_AMOUNT", "MISSING_ID",
    "BAD_FLAG_OWN_CAR", "BAD_STATUS", "DUPLICATE_LOAN_ID", "WRONG_COLUMN_COUNT",
}  # fmt: skip
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def violations(fields: list[str], seen_loan_ids: set[str]) -> list[str]:
    """Every rule a line breaks, judged from its text alone (plus the loan_ids above it)."""
    if len(fields) != 24:
        return ["WRONG_COLUMN_COUNT"]
    found = []
    for name in ("birthday", "job_start_date", "loan_date"):
        if parse_date(fields[COL[name]]) is None:
            found.append("BAD_DATE")
    loan_date = parse_date(fields[COL["loan_date"]])
    if loan_date is not None and not WINDOW_START <= loan_date <= WINDOW_END:
        found.append("DATE_OUT_OF_WINDOW")
    amount = fields[COL["loan_amount"]]
    if not NUMBER.match(amount):
        found.append("NON_NUMERIC_AMOUNT")
    elif float(amount) < 0:
        found.append("NEGATIVE_AMOUNT")
    if fields[COL["id"]] == "" or fields[COL["loan_id"]] == "":
        found.append("MISSING_ID")
    if fields[COL["flag_own_car"]] not in {"Y", "N"}:
        found.append("BAD_FLAG_OWN_CAR")
    if fields[COL["status"]] not in {"0", "1"}:
        found.append("BAD_STATUS")
    if fields[COL["loan_id"]] != "" and fields[COL["loan_id"]] in seen_loan_ids:
        found.append("DUPLICATE_LOAN_ID")
    return found


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    directory = tmp_path_factory.mktemp("defects")
    manifest_path = directory / "manifest.json"
    out = generate(
        directory, CUSTOMERS, SEED, "--defects", str(RATE), "--manifest", str(manifest_path)
    )
    return out, json.loads(manifest_path.read_text())


def test_independent_validation_finds_exactly_the_manifest(
    injected: tuple[Path, dict[str, Any]],
) -> None:
    path, manifest = injected
    found: dict[int, list[str]] = {}
    texts: dict[int, list[str]] = {}
    seen: set[str] = set()
    with path.open(newline="", encoding="ascii") as handle:
        reader = csv.reader(handle)
        next(reader)
        for line, fields in enumerate(reader, start=2):
            texts[line] = fields
            problems = violations(fields, seen)
            if problems:
                found[line] = problems
            if len(fields) == 24 and fields[COL["loan_id"]]:
                seen.add(fields[COL["loan_id"]])
    expected = {entry["line"]: [entry["kind"]] for entry in manifest["defects"]}
    assert found == expected  # same lines, and exactly one defect on each
    for entry in manifest["defects"]:
        fields = texts[entry["line"]]
        assert entry["fields"] == len(fields)
        on_line = fields[COL["loan_id"]] if fields and fields[COL["loan_id"]] else None
        assert entry["loan_id"] == on_line
        if entry["column"] is not None and len(fields) == 24:
            assert fields[COL[entry["column"]]] == entry["value"]
        if entry["kind"] == "DATE_OUT_OF_WINDOW":
            # Outside even a year of slack either side (the feature pipeline's default window).
            assert not dt.date(2018, 1, 1) <= parse_date(entry["value"]) <= dt.date(2021, 12, 31)  # type: ignore[operator]


def test_every_kind_is_injected_evenly(injected: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = injected
    counts = manifest["defect_counts"]
    assert set(counts) == KINDS
    assert max(counts.values()) - min(counts.values()) <= 1
    assert min(counts.values()) >= 1
    assert sum(counts.values()) == manifest["defect_rows"] == len(manifest["defects"])
    assert manifest["defect_rows"] == round(RATE * manifest["clean_rows"])


def test_manifest_totals_and_fingerprint(injected: tuple[Path, dict[str, Any]]) -> None:
    path, manifest = injected
    raw = path.read_bytes()
    assert manifest["file"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert manifest["file"]["bytes"] == len(raw)
    data_lines = raw.count(b"\n") - 1
    assert manifest["rows_written"] == data_lines
    assert manifest["clean_rows"] + manifest["defect_rows"] == data_lines
    assert manifest["arguments"] == {"customers": CUSTOMERS, "seed": SEED, "defects": RATE}
    lines = [entry["line"] for entry in manifest["defects"]]
    assert lines == sorted(lines)
    assert len(set(lines)) == len(lines)


def test_duplicates_repeat_an_earlier_line_exactly(injected: tuple[Path, dict[str, Any]]) -> None:
    path, manifest = injected
    lines = path.read_text(encoding="ascii").split("\n")
    duplicates = [e for e in manifest["defects"] if e["kind"] == "DUPLICATE_LOAN_ID"]
    assert duplicates
    for entry in duplicates:
        original = entry["duplicate_of_line"]
        assert original < entry["line"]
        assert lines[original - 1] == lines[entry["line"] - 1]
        assert lines[original - 1].split(",")[0] == entry["loan_id"]


def test_removing_the_injected_lines_gives_the_clean_file(
    injected: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, manifest = injected
    clean = generate(tmp_path, CUSTOMERS, SEED)
    injected_lines = {entry["line"] for entry in manifest["defects"]}
    kept = [
        line
        for number, line in enumerate(path.read_bytes().split(b"\n")[:-1], start=1)
        if number not in injected_lines
    ]
    assert b"\n".join(kept) + b"\n" == clean.read_bytes()


def test_defect_injection_is_deterministic(
    injected: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, manifest = injected
    again = generate(
        tmp_path, CUSTOMERS, SEED, "--defects", str(RATE), "--manifest", str(tmp_path / "m.json")
    )
    assert again.read_bytes() == path.read_bytes()
    assert json.loads((tmp_path / "m.json").read_text())["defects"] == manifest["defects"]
