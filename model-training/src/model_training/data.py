"""Load, validate, fingerprint and split the feature pipeline's training set.

Accepted `--data` sources (contract 2):
  * a CSV file, or a directory of CSV part files (`*.csv`)
  * a Parquet file, or a directory of Parquet part files (`*.parquet`)
  * the pipeline output directory (has `training_set/`): `_SUCCESS` is REQUIRED (an output
    without it is incomplete), then `training_set/parquet/` is read, else `training_set/csv/`
  * any of the above under `s3://bucket/prefix` (downloaded with boto3, which honours
    AWS_ENDPOINT_URL)
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from model_training.contract import (
    CUSTOMER_ID,
    FEATURES,
    LABEL,
    LOAN_DATE,
    LOAN_ID,
    RAW_SLICE_COLUMNS,
    TRAINING_SET_COLUMNS,
)

log = logging.getLogger(__name__)

_INT_COLUMNS = (CUSTOMER_ID, LOAN_ID, "nb_previous_loans", "age", "years_on_the_job")
_NON_NULL = (CUSTOMER_ID, LOAN_ID, LOAN_DATE, "nb_previous_loans", "flag_own_car", LABEL)
_MAX_EXAMPLES = 5
_FINGERPRINT_DECIMALS = 6


class DataValidationError(ValueError):
    """The training data violates the contract; `problems` lists every violation found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        bullet = "\n  - ".join(problems)
        super().__init__(f"training data {source} is invalid:\n  - {bullet}")


@dataclass(frozen=True)
class TrainingData:
    frame: pd.DataFrame  # validated, contract columns, sorted by loan_id
    source: str
    fingerprint: str


# --------------------------------------------------------------------------- locating the files


def _part_files(directory: Path, suffix: str) -> list[Path]:
    # Spark writes _SUCCESS / .crc side files next to the parts; only data files count.
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.name.endswith(suffix) and not p.name.startswith(("_", "."))
    )


def _committed_training_files(root: Path) -> tuple[list[Path], str]:
    """The training-set files the pipeline run committed, exactly as its `_SUCCESS` lists them.

    Only the manifest is trusted: part files of another run lying beside them (an interrupted
    publish, a stale upload) are ignored, and a listed file that is missing or has another size
    fails the load instead of training on a partial set.
    """
    marker = root / "_SUCCESS"
    if not marker.is_file():
        raise DataValidationError(
            str(root),
            ["pipeline output has no _SUCCESS marker: the run is incomplete or still writing"],
        )
    try:
        manifest = json.loads(marker.read_text() or "null")
        listed = {str(f["path"]): int(f["size_bytes"]) for f in manifest["files"]}
    except (ValueError, TypeError, KeyError) as error:
        raise DataValidationError(
            str(marker), [f"_SUCCESS is not a pipeline manifest with a files list ({error!r})"]
        ) from error
    for fmt, suffix in (("parquet", ".parquet"), ("csv", ".csv")):
        prefix = f"training_set/{fmt}/"
        chosen = sorted(p for p in listed if p.startswith(prefix) and p.endswith(suffix))
        if not chosen:
            continue
        problems = []
        for relative in chosen:
            file = root / relative
            if not file.is_file():
                problems.append(f"{relative} is listed in _SUCCESS but missing")
            elif file.stat().st_size != listed[relative]:
                problems.append(
                    f"{relative} has {file.stat().st_size} bytes, _SUCCESS says {listed[relative]}"
                )
        if problems:
            raise DataValidationError(str(root), problems)
        return [root / relative for relative in chosen], fmt
    raise DataValidationError(str(root), ["_SUCCESS lists no training_set parquet or csv files"])


def resolve_local_files(path: Path) -> tuple[list[Path], str]:
    """Return the data files behind a local `--data` path and their format."""
    if not path.exists():
        raise DataValidationError(str(path), ["path does not exist"])
    if path.is_file():
        if path.suffix == ".csv":
            return [path], "csv"
        if path.suffix == ".parquet":
            return [path], "parquet"
        raise DataValidationError(str(path), ["file must end in .csv or .parquet"])
    if (path / "training_set").is_dir():
        return _committed_training_files(path)
    parquet = _part_files(path, ".parquet")
    csv = _part_files(path, ".csv")
    if parquet and csv:
        raise DataValidationError(str(path), ["directory mixes .csv and .parquet part files"])
    if parquet:
        return parquet, "parquet"
    if csv:
        return csv, "csv"
    raise DataValidationError(str(path), ["directory holds no .csv or .parquet files"])


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise DataValidationError(uri, ["s3 URI has no bucket"])
    return bucket, key.rstrip("/")


@contextmanager
def materialise(source: str) -> Iterator[Path]:
    """Yield a local path for `source`; S3 objects are downloaded to a temporary directory."""
    if not source.startswith("s3://"):
        yield Path(source)
        return
    import boto3  # boto3 honours AWS_ENDPOINT_URL natively (moto in tests, nothing in AWS)

    bucket, prefix = _split_s3(source)
    s3 = boto3.client("s3")
    with tempfile.TemporaryDirectory(prefix="model-training-data-") as tmp:
        root = Path(tmp) / "data"
        keys: list[str] = []
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        if prefix in keys:  # a single object
            target = root / Path(prefix).name
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, prefix, str(target))
            yield target
            return
        under = [k for k in keys if k.startswith(prefix + "/") or not prefix]
        if not under:
            raise DataValidationError(source, ["no objects under this S3 prefix"])
        # The pipeline's quarantine and reports are not training data; skip the download.
        for key in under:
            relative = key[len(prefix) :].lstrip("/")
            if relative.startswith("quarantine/") or relative.endswith("/"):
                continue
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
        yield root


# --------------------------------------------------------------------------- reading + checking


def _read_files(files: list[Path], fmt: str) -> pd.DataFrame:
    frames = []
    for file in files:
        if fmt == "csv":
            # Everything as text first: type problems are reported by validate(), not by a
            # parser traceback.
            frames.append(pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""]))
        else:
            frames.append(pd.read_parquet(file))
    if not frames:
        return pd.DataFrame(columns=list(TRAINING_SET_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _examples(values: pd.Series) -> str:
    shown = [repr(v) for v in values.head(_MAX_EXAMPLES).tolist()]
    return ", ".join(shown)


def validate(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check the contract; return typed contract columns sorted by loan_id or raise."""
    problems: list[str] = []
    missing = [c for c in TRAINING_SET_COLUMNS if c not in raw.columns]
    if missing:
        raise DataValidationError(source, [f"missing required columns: {missing}"])
    extra = [c for c in raw.columns if c not in TRAINING_SET_COLUMNS]
    if extra:
        log.warning("ignoring columns outside the training-set contract: %s", extra)
    if raw.empty:
        raise DataValidationError(source, ["no rows"])

    frame = pd.DataFrame(index=raw.index)
    for column in TRAINING_SET_COLUMNS:
        values = raw[column]
        if column == LOAN_DATE and pd.api.types.is_datetime64_any_dtype(values):
            frame[column] = values.dt.tz_localize(None) if values.dt.tz else values
            continue
        if column == LOAN_DATE:
            text = values.astype("string")
            parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
            bad = parsed.isna() & text.notna()
            if bad.any():
                problems.append(
                    f"{column}: {int(bad.sum())} values are not YYYY-MM-DD dates "
                    f"(e.g. {_examples(values[bad])})"
                )
            frame[column] = parsed
            continue
        numeric = pd.to_numeric(values, errors="coerce").astype("float64")
        bad = numeric.isna() & values.notna()
        if bad.any():
            problems.append(
                f"{column}: {int(bad.sum())} non-numeric values (e.g. {_examples(values[bad])})"
            )
        infinite = np.isinf(numeric)
        if infinite.any():
            problems.append(f"{column}: {int(infinite.sum())} infinite values")
        frame[column] = numeric

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
                f"(e.g. {_examples(values[fractional])})"
            )

    def check(column: str, bad: pd.Series, rule: str) -> None:
        bad = bad.fillna(False).astype(bool)
        if bad.any():
            problems.append(
                f"{column}: {int(bad.sum())} values {rule} (e.g. {_examples(frame[column][bad])})"
            )

    check("nb_previous_loans", frame["nb_previous_loans"] < 0, "are negative")
    check("avg_amount_loans_previous", frame["avg_amount_loans_previous"] <= 0, "are <= 0")
    check("age", (frame["age"] < 0) | (frame["age"] > 130), "are outside 0..130")
    check("years_on_the_job", frame["years_on_the_job"] < 0, "are negative")
    check("flag_own_car", ~frame["flag_own_car"].isin([0.0, 1.0]), "are not 0/1")
    check(LABEL, ~frame[LABEL].isin([0.0, 1.0]), "are not 0/1")
    duplicated = frame[LOAN_ID].duplicated(keep=False) & frame[LOAN_ID].notna()
    if duplicated.any():
        problems.append(
            f"{LOAN_ID}: {int(duplicated.sum())} rows share a loan_id "
            f"(e.g. {_examples(frame[LOAN_ID][duplicated])})"
        )
    if problems:
        raise DataValidationError(source, problems)
    if frame[LABEL].nunique() < 2:
        raise DataValidationError(source, [f"{LABEL} has a single class; nothing to learn"])

    frame[CUSTOMER_ID] = frame[CUSTOMER_ID].astype("int64")
    frame[LOAN_ID] = frame[LOAN_ID].astype("int64")
    frame[LABEL] = frame[LABEL].astype("int64")
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
            # All NaN payloads hash alike; -0.0 and 0.0 too.
            array = np.where(np.isnan(array), np.nan, array) + 0.0
        digest.update(column.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def load_training_data(source: str) -> TrainingData:
    with materialise(source) as local:
        files, fmt = resolve_local_files(local)
        log.info("reading %d %s file(s) from %s", len(files), fmt, source)
        try:
            raw = _read_files(files, fmt)
        except (ValueError, OSError) as exc:
            raise DataValidationError(source, [f"unreadable {fmt}: {exc}"]) from exc
    frame = validate(raw, source)
    return TrainingData(frame=frame, source=source, fingerprint=fingerprint(frame))


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The model input: exactly the contract features, in contract order, as float64."""
    return frame.loc[:, list(FEATURES)].astype("float64")


# --------------------------------------------------------------------------- slices (eval only)


def load_raw_attributes(source: str) -> pd.DataFrame:
    """Per-customer gender and income type from the raw loans CSV, indexed by customer id."""
    wanted = [CUSTOMER_ID, *RAW_SLICE_COLUMNS]
    with materialise(source) as local:
        if not local.is_file():
            raise DataValidationError(source, ["--raw must be the raw loans CSV file"])
        try:
            # pyarrow: the full raw file is ~143 MB and only three columns are needed.
            raw = pd.read_csv(
                local, usecols=wanted, dtype=str, keep_default_na=False, engine="pyarrow"
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
    """Evaluation-only grouping columns for each row of `frame` (never model inputs)."""
    slices = pd.DataFrame(index=frame.index)
    slices["age_band"] = age_band(frame["age"], age_edges)
    slices["customer_type"] = np.where(frame["nb_previous_loans"] == 0, "new", "returning")
    if raw_attributes is not None:
        joined = frame[[CUSTOMER_ID]].join(raw_attributes, on=CUSTOMER_ID)
        for column in RAW_SLICE_COLUMNS.values():
            slices[column] = joined[column].fillna("unknown").replace("", "unknown")
    return slices


# --------------------------------------------------------------------------- splitting


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row positions
    validation: np.ndarray
    strategy: str


def customer_bucket(customer_ids: np.ndarray, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) per customer id, a pure function of (id, salt).

    splitmix64 finaliser: vectorised, platform independent, and - unlike a shuffled
    train_test_split - stable when customers are added, so a customer validated on today stays
    a validation customer in every later run with the same salt. That is what makes "champion
    vs challenger on the same validation data" fair: the champion never trained on them.
    """
    with np.errstate(over="ignore"):
        z = customer_ids.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def split_by_customer(frame: pd.DataFrame, validation_fraction: float, salt: int) -> Split:
    """Every customer's loans go to one side, decided by a salted hash of the customer id."""
    in_validation = customer_bucket(frame[CUSTOMER_ID].to_numpy(), salt) < validation_fraction
    return Split(
        train=np.flatnonzero(~in_validation),
        validation=np.flatnonzero(in_validation),
        strategy="customer",
    )


def split_by_time(frame: pd.DataFrame, validation_fraction: float) -> Split:
    """Train on earlier loan dates, validate on the latest `validation_fraction` of loans."""
    dates = frame[LOAN_DATE]
    cutoff = dates.quantile(1.0 - validation_fraction)
    in_validation = (dates >= cutoff).to_numpy()
    return Split(
        train=np.flatnonzero(~in_validation),
        validation=np.flatnonzero(in_validation),
        strategy="time",
    )


def make_split(frame: pd.DataFrame, strategy: str, validation_fraction: float, salt: int) -> Split:
    split = (
        split_by_customer(frame, validation_fraction, salt)
        if strategy == "customer"
        else split_by_time(frame, validation_fraction)
    )
    problems = []
    for name, rows in (("train", split.train), ("validation", split.validation)):
        labels = frame[LABEL].to_numpy()[rows]
        if len(rows) == 0 or len(np.unique(labels)) < 2:
            problems.append(f"{name} split has {len(rows)} rows and lacks one of the classes")
    if problems:
        raise DataValidationError("split", problems)
    return split


def subsample(rows: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """At most `max_rows` of `rows`, in their original order (deterministic for a seed)."""
    if len(rows) <= max_rows:
        return rows
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, size=max_rows, replace=False))
