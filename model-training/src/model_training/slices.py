"""Evaluation-only groupings: gender and income type from the raw loans file, age band, new vs
returning customer. None of these is ever a model input."""

from __future__ import annotations

import tempfile
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from model_training import lake
from model_training.contract import CUSTOMER_ID, RAW_SLICE_COLUMNS
from model_training.lake import DataValidationError


def load_raw_attributes(source: str) -> pd.DataFrame:
    """Per-customer gender and income type from the raw loans CSV, indexed by customer id."""
    wanted = [CUSTOMER_ID, *RAW_SLICE_COLUMNS]
    location, name = lake.open_location(source)
    if name is None or not name.endswith(".csv"):
        raise DataValidationError(source, ["--raw must be the raw loans CSV file"])
    with tempfile.TemporaryDirectory(prefix="model-training-raw-") as scratch:
        try:
            # pyarrow: the full raw file is ~143 MB and only three columns are needed.
            raw = pd.read_csv(
                location.local_file(name, Path(scratch)),
                usecols=wanted,
                dtype=str,
                keep_default_na=False,
                engine="pyarrow",
            )
        except ValueError as exc:
            raise DataValidationError(source, [f"raw loans CSV lacks {wanted}: {exc}"]) from exc
    ids = pd.to_numeric(raw[CUSTOMER_ID], errors="coerce")
    if ids.isna().any():
        raise DataValidationError(source, [f"{int(ids.isna().sum())} raw rows have a bad id"])
    raw[CUSTOMER_ID] = ids.astype("int64")
    # Customer attributes are constant across a customer's loans; take the first seen.
    attributes = raw.drop_duplicates(CUSTOMER_ID).set_index(CUSTOMER_ID)
    return attributes.rename(columns=RAW_SLICE_COLUMNS)[list(RAW_SLICE_COLUMNS.values())]


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
