"""Evaluation-only groupings: gender and income type from the raw loans file, age band, new vs
returning customer. None of these is ever a model input."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pacsv

from model_training import lake
from model_training.contract import CUSTOMER_ID, RAW_SLICE_COLUMNS
from model_training.lake import DataValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawRowCounts:
    """What the slices took from the raw file: rows in = used + skipped (by cause)."""

    rows: int
    used: int
    wrong_field_count: int
    unreadable_id: int


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as file:
        first = file.readline()
    return [name.strip().lower() for name in first.lstrip("\ufeff").rstrip().split(",")]


def _read_raw_columns(path: Path, source: str, wanted: list[str]) -> tuple[pd.DataFrame, int]:
    """The wanted columns as text, and how many lines did not have the header's field count."""
    header = _header(path)
    missing = [column for column in wanted if column not in header]
    if missing:
        raise DataValidationError(
            source,
            [
                f"--raw: the header (first line) has no column {missing}: is it the raw loans "
                "CSV of docs/contracts/raw-loans.md?"
            ],
        )
    malformed = 0

    def skip(_: object) -> str:
        nonlocal malformed
        malformed += 1
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            # A blank line is a defective row too (the pipeline quarantines it): counted.
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={column: pa.string() for column in wanted},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:  # e.g. a header and no row
        raise DataValidationError(source, [f"--raw: no loan rows after the header: {exc}"]) from exc
    return table.to_pandas(), malformed


def load_raw_attributes(source: str) -> pd.DataFrame:
    """Per-customer gender and income type from the raw loans CSV, indexed by customer id.

    Only for evaluation slices, so a defective line costs only itself: lines without the
    header's field count and lines whose id is not an integer are skipped and counted (a
    customer's attributes repeat on each of its loans; the pipeline quarantines such lines
    anyway). The counts are in the result's `attrs["raw_rows"]` and in the log.
    """
    wanted = [CUSTOMER_ID, *RAW_SLICE_COLUMNS]
    location, name = lake.open_location(source)
    if name is None or not name.endswith(".csv"):
        raise DataValidationError(source, ["--raw must be the raw loans CSV file"])
    with tempfile.TemporaryDirectory(prefix="model-training-raw-") as scratch:
        # pyarrow: the full raw file is ~143 MB and only three columns are needed.
        raw, malformed = _read_raw_columns(location.local_file(name, Path(scratch)), source, wanted)
    readable = raw[CUSTOMER_ID].str.fullmatch(r"[0-9]{1,18}")
    counts = RawRowCounts(
        rows=len(raw) + malformed,
        used=int(readable.sum()),
        wrong_field_count=malformed,
        unreadable_id=int((~readable).sum()),
    )
    skipped = (
        f"{counts.rows - counts.used} of {counts.rows} rows skipped ({counts.wrong_field_count} "
        f"without the header's field count, {counts.unreadable_id} with an unreadable id)"
    )
    if counts.rows == 0:
        raise DataValidationError(source, ["--raw: no loan rows after the header"])
    if counts.used == 0:
        raise DataValidationError(source, [f"--raw: no usable row: {skipped}"])
    if counts.used < counts.rows:
        log.warning("--raw %s: %s; the slices use the others", source, skipped)
    raw = raw[readable].astype({CUSTOMER_ID: "int64"})
    # Customer attributes are constant across a customer's loans; take the first seen.
    attributes = raw.drop_duplicates(CUSTOMER_ID).set_index(CUSTOMER_ID)
    attributes = attributes.rename(columns=RAW_SLICE_COLUMNS)[list(RAW_SLICE_COLUMNS.values())]
    attributes.attrs["raw_rows"] = asdict(counts)
    return attributes


def age_band(age: pd.Series, edges: list[int]) -> pd.Series:
    labels = [f"<{edges[0]}"]
    labels += [f"{lo}-{hi - 1}" for lo, hi in pairwise(edges)]
    labels += [f"{edges[-1]}+"]
    bins = [-np.inf, *edges, np.inf]
    banded = pd.cut(age, bins=bins, labels=labels, right=False).astype("string")
    return banded.fillna("unknown")


def slice_attributes(
    frame: pd.DataFrame, raw_attributes: pd.DataFrame | None, age_edges: list[int]
) -> pd.DataFrame:
    """Grouping columns for each row of `frame` (never model inputs)."""
    slices = pd.DataFrame(index=frame.index)
    slices["age_band"] = age_band(frame["age"], age_edges)
    slices["customer_type"] = np.where(frame["nb_previous_loans"] == 0, "new", "returning")
    if raw_attributes is not None:
        joined = frame[[CUSTOMER_ID]].join(raw_attributes, on=CUSTOMER_ID)
        for column in RAW_SLICE_COLUMNS.values():
            slices[column] = joined[column].fillna("unknown").replace("", "unknown")
    return slices
