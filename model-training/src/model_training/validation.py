"""The training-set contract checked row by row, and the content fingerprint.

Every violation is collected and reported at once (with counts and examples) rather than the
first one found, so a bad file is fixed in one round trip.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pandas as pd

from model_training.contract import (
    CUSTOMER_ID,
    LABEL,
    LOAN_DATE,
    LOAN_ID,
    TRAINING_SET_COLUMNS,
)
from model_training.lake import DataValidationError

log = logging.getLogger(__name__)

_INT_COLUMNS = (CUSTOMER_ID, LOAN_ID, "nb_previous_loans", "age", "years_on_the_job")
_NON_NULL = (CUSTOMER_ID, LOAN_ID, LOAN_DATE, "nb_previous_loans", "flag_own_car", LABEL)
_MAX_EXAMPLES = 5
_FINGERPRINT_DECIMALS = 6


def examples(values: pd.Series) -> str:
    return ", ".join(repr(v) for v in values.head(_MAX_EXAMPLES).tolist())


def _parse_date(values: pd.Series, problems: list[str]) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if values.dt.tz else values
    text = values.astype("string")
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() & text.notna()
    if bad.any():
        problems.append(
            f"{LOAN_DATE}: {int(bad.sum())} values are not YYYY-MM-DD dates "
            f"(e.g. {examples(values[bad])})"
        )
    return parsed


def parse_numeric(values: pd.Series, column: str, problems: list[str]) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = numeric.isna() & values.notna()
    if bad.any():
        problems.append(
            f"{column}: {int(bad.sum())} non-numeric values (e.g. {examples(values[bad])})"
        )
    infinite = np.isinf(numeric)
    if infinite.any():
        problems.append(f"{column}: {int(infinite.sum())} infinite values")
    return numeric


def _typed(raw: pd.DataFrame, problems: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(index=raw.index)
    for column in TRAINING_SET_COLUMNS:
        if column == LOAN_DATE:
            frame[column] = _parse_date(raw[column], problems)
        else:
            frame[column] = parse_numeric(raw[column], column, problems)
    return frame


def _rule_violations(frame: pd.DataFrame, raw: pd.DataFrame) -> list[str]:
    problems: list[str] = []
    for column in _NON_NULL:
        nulls = frame[column].isna() & raw[column].isna()
        if nulls.any():
            problems.append(f"{column}: {int(nulls.sum())} empty values (column is not nullable)")
    for column in _INT_COLUMNS:
        values = frame[column].dropna()
        fractional = values != np.floor(values)
        if fractional.any():
            problems.append(
                f"{column}: {int(fractional.sum())} non-integer values "
                f"(e.g. {examples(values[fractional])})"
            )
    rules = (
        ("nb_previous_loans", frame["nb_previous_loans"] < 0, "are negative"),
        ("avg_amount_loans_previous", frame["avg_amount_loans_previous"] <= 0, "are <= 0"),
        ("age", (frame["age"] < 0) | (frame["age"] > 130), "are outside 0..130"),
        ("years_on_the_job", frame["years_on_the_job"] < 0, "are negative"),
        ("flag_own_car", ~frame["flag_own_car"].isin([0.0, 1.0]), "are not 0/1"),
        (LABEL, ~frame[LABEL].isin([0.0, 1.0]), "are not 0/1"),
    )
    for column, bad, rule in rules:
        bad = bad.fillna(False).astype(bool)
        if bad.any():
            problems.append(
                f"{column}: {int(bad.sum())} values {rule} (e.g. {examples(frame[column][bad])})"
            )
    duplicated = frame[LOAN_ID].duplicated(keep=False) & frame[LOAN_ID].notna()
    if duplicated.any():
        problems.append(
            f"{LOAN_ID}: {int(duplicated.sum())} rows share a loan_id "
            f"(e.g. {examples(frame[LOAN_ID][duplicated])})"
        )
    return problems


def validate(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check the contract; return typed contract columns sorted by loan_id or raise."""
    missing = [c for c in TRAINING_SET_COLUMNS if c not in raw.columns]
    if missing:
        raise DataValidationError(source, [f"missing required columns: {missing}"])
    extra = [c for c in raw.columns if c not in TRAINING_SET_COLUMNS]
    if extra:
        log.warning("ignoring columns outside the training-set contract: %s", extra)
    if raw.empty:
        raise DataValidationError(source, ["no rows"])
    problems: list[str] = []
    frame = _typed(raw, problems)
    problems += _rule_violations(frame, raw)
    if problems:
        raise DataValidationError(source, problems)
    if frame[LABEL].nunique() < 2:
        raise DataValidationError(source, [f"{LABEL} has a single class; nothing to learn"])
    for column in (CUSTOMER_ID, LOAN_ID, LABEL):
        frame[column] = frame[column].astype("int64")
    # Row order of part files is not meaningful; sorting makes every downstream step (split,
    # subsample, fit) independent of how the pipeline partitioned its output.
    return frame.sort_values(LOAN_ID, kind="mergesort").reset_index(drop=True)


def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 of the validated content, independent of file format, partitioning and row order.

    Columns in contract order, rows by loan_id, floats rounded to 6 decimals, dates as
    datetime64[ns].
    """
    digest = hashlib.sha256()
    digest.update(",".join(TRAINING_SET_COLUMNS).encode())
    for column in TRAINING_SET_COLUMNS:
        values = frame[column]
        if column == LOAN_DATE:
            array = values.to_numpy(dtype="datetime64[ns]").astype("int64")
        else:
            # Rounded: CSV text and Parquet doubles of the same value can differ in the last
            # ulp after parsing, and the fingerprint must not depend on the file format.
            array = np.round(values.to_numpy(dtype="float64"), _FINGERPRINT_DECIMALS)
            array = np.where(np.isnan(array), np.nan, array) + 0.0
        digest.update(column.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()
