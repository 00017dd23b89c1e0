"""Malformed rows injected on request, each carrying exactly one defect, plus their manifest.

Injected rows are EXTRA lines: removing them from the file gives back, byte for byte, the clean
file of the same customers and seed. Every injected row except a duplicate is a copy of the clean
row just above it (same customer, same date) under a brand-new loan_id
(first free id after the dense range), a fresh amount and status, with one field corrupted.
A DUPLICATE_LOAN_ID row is an exact copy of an earlier clean row; the LATER line is the duplicate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from loan_generator import schema
from loan_generator.dataset import LoanDataset
from loan_generator.formatting import RowFormatter, format_amount_units
from loan_generator.loans import AMOUNT_UNITS_PER_CURRENCY

DEFECT_KINDS: tuple[str, ...] = (
    "BAD_DATE",
    "DATE_OUT_OF_WINDOW",
    "NEGATIVE_AMOUNT",
    "NON_NUMERIC_AMOUNT",
    "MISSING_ID",
    "BAD_FLAG_OWN_CAR",
    "BAD_STATUS",
    "DUPLICATE_LOAN_ID",
    "WRONG_COLUMN_COUNT",
)

# Out-of-window dates fall before 2018-01-01 or after 2021-12-31, so any plausibility window
# (inclusive) from the real 2019-01-01..2020-12-30 up to a year of slack either side flags
# exactly the same rows.
OUT_OF_WINDOW_BEFORE = dt.date(2018, 1, 1)
OUT_OF_WINDOW_AFTER = dt.date(2021, 12, 31)
_OUT_OF_WINDOW_SPREAD_DAYS = 20 * 365

NON_NUMERIC_AMOUNTS = ("abc", "12O.50", "1.2.3", "$150.00", "one hundred", "#VALUE!", "12.5.0")
BAD_FLAG_OWN_CAR_VALUES = ("X", "1", "U", "T", "?", "YES", "")
BAD_STATUS_VALUES = ("2", "-1", "x", "0.5", "", "10")
EXTRA_FIELD = "extra"

_LOAN_ID = schema.COLUMN_INDEX["loan_id"]
_ID = schema.COLUMN_INDEX["id"]
_FLAG_OWN_CAR = schema.COLUMN_INDEX["flag_own_car"]
_STATUS = schema.COLUMN_INDEX["status"]
_AMOUNT = schema.COLUMN_INDEX["loan_amount"]
_DATE_COLUMNS = ("loan_date", "birthday", "job_start_date")


@dataclass(frozen=True)
class InjectedDefect:
    anchor: int  # file position (0-based, among clean rows) of the clean row it follows
    kind: str
    text: str  # the line without its line ending
    loan_id: str | None  # the loan_id text on the line, None when the field is empty/absent
    column: str | None  # the corrupted column, if one
    value: str | None  # the text written in that column
    original_anchor: int | None = None  # DUPLICATE_LOAN_ID: file position of the original


def defect_count(rate: float, clean_rows: int) -> int:
    """How many rows a rate injects: rate x clean rows, rounded, at least one for a rate > 0."""
    if rate == 0:
        return 0
    return max(1, round(rate * clean_rows))


def _impossible_date(text: str, rng: np.random.Generator) -> str:
    year = int(text[:4])
    variants = [
        f"{year}-02-30",
        f"{year}-04-31",
        f"{year}-13-{text[8:10]}",
        f"{year}-00-{text[8:10]}",
        f"{text[:7]}-00",
        f"{text[:7]}-32",
        "not-a-date",
        text.replace("-", "/"),
    ]
    if year % 4 != 0:  # Feb 29 is impossible only in non-leap years (no century years here)
        variants.append(f"{year}-02-29")
    return variants[int(rng.integers(len(variants)))]


def _out_of_window_date(rng: np.random.Generator) -> str:
    distance = dt.timedelta(days=1 + int(rng.integers(_OUT_OF_WINDOW_SPREAD_DAYS)))
    if rng.random() < 0.5:
        return (OUT_OF_WINDOW_BEFORE - distance).isoformat()
    return (OUT_OF_WINDOW_AFTER + distance).isoformat()


def _corrupt(
    kind: str, fields: list[str], rng: np.random.Generator
) -> tuple[list[str], str | None, str | None]:
    """Apply one defect; returns the new fields, the corrupted column and the text written."""
    if kind == "BAD_DATE":
        column = _DATE_COLUMNS[int(rng.choice(3, p=[0.7, 0.15, 0.15]))]
        index = schema.COLUMN_INDEX[column]
        fields[index] = _impossible_date(fields[index], rng)
        return fields, column, fields[index]
    if kind == "DATE_OUT_OF_WINDOW":
        index = schema.COLUMN_INDEX["loan_date"]
        fields[index] = _out_of_window_date(rng)
        return fields, "loan_date", fields[index]
    if kind == "NEGATIVE_AMOUNT":
        fields[_AMOUNT] = "-" + fields[_AMOUNT]
        return fields, "loan_amount", fields[_AMOUNT]
    if kind == "NON_NUMERIC_AMOUNT":
        fields[_AMOUNT] = NON_NUMERIC_AMOUNTS[int(rng.integers(len(NON_NUMERIC_AMOUNTS)))]
        return fields, "loan_amount", fields[_AMOUNT]
    if kind == "MISSING_ID":
        column = "id" if rng.random() < 0.7 else "loan_id"
        fields[schema.COLUMN_INDEX[column]] = ""
        return fields, column, ""
    if kind == "BAD_FLAG_OWN_CAR":
        fields[_FLAG_OWN_CAR] = BAD_FLAG_OWN_CAR_VALUES[
            int(rng.integers(len(BAD_FLAG_OWN_CAR_VALUES)))
        ]
        return fields, "flag_own_car", fields[_FLAG_OWN_CAR]
    if kind == "BAD_STATUS":
        fields[_STATUS] = BAD_STATUS_VALUES[int(rng.integers(len(BAD_STATUS_VALUES)))]
        return fields, "status", fields[_STATUS]
    if kind == "WRONG_COLUMN_COUNT":
        variant = int(rng.integers(3))
        if variant == 0:  # a field lost in the middle
            del fields[int(rng.integers(1, len(fields)))]
        elif variant == 1:  # a stray trailing field
            fields.append(EXTRA_FIELD)
        else:  # a truncated line
            fields = fields[: int(rng.integers(2, len(fields) - 3))]
        return fields, None, None
    raise ValueError(f"unknown defect kind {kind!r}")


def plan_defects(
    dataset: LoanDataset, formatter: RowFormatter, rate: float
) -> list[InjectedDefect]:
    """Choose and build the injected rows (deterministic for the dataset's seed and the rate)."""
    count = defect_count(rate, dataset.rows)
    if count == 0:
        return []
    rng = dataset.defects_rng()
    kinds = [DEFECT_KINDS[i % len(DEFECT_KINDS)] for i in range(count)]
    kinds = [kinds[i] for i in rng.permutation(count)]
    day_in_file = dataset.loans.day[dataset.file_order]
    duplicates_needed = kinds.count("DUPLICATE_LOAN_ID")
    originals = iter(rng.choice(dataset.rows, size=duplicates_needed, replace=False).tolist())
    next_loan_id = schema.FIRST_LOAN_ID + dataset.rows

    defects: list[InjectedDefect] = []
    for kind in kinds:
        if kind == "DUPLICATE_LOAN_ID":
            original = next(originals)
            # Later in the file, still within the original's date so the date order holds.
            last_same_day = (
                int(np.searchsorted(day_in_file, day_in_file[original], side="right")) - 1
            )
            anchor = int(rng.integers(original, last_same_day + 1))
            text = formatter.row(int(dataset.file_order[original]))
            loan_id = text.split(",", 1)[0]
            defects.append(
                InjectedDefect(anchor, kind, text, loan_id, "loan_id", loan_id, original)
            )
            continue
        anchor = int(rng.integers(dataset.rows))
        fields = formatter.row(int(dataset.file_order[anchor])).split(",")
        fields[_LOAN_ID] = str(next_loan_id)
        next_loan_id += 1
        excess = rng.exponential(29.5)
        fields[_AMOUNT] = format_amount_units(
            round((schema.MIN_LOAN_AMOUNT + excess) * AMOUNT_UNITS_PER_CURRENCY)
        )
        fields[_STATUS] = "1" if rng.random() < 0.015 else "0"
        fields, column, value = _corrupt(kind, fields, rng)
        loan_id_text = fields[_LOAN_ID] if fields and fields[_LOAN_ID] != "" else None
        defects.append(InjectedDefect(anchor, kind, ",".join(fields), loan_id_text, column, value))
    return defects
