"""The load stage: the training set and the serving population, read, validated, fingerprinted.

The serving population is what the model will see in production: the pipeline run's online
rows (one per customer, as published to the feature store). Reference statistics for drift
monitoring come from it, never from training loan rows: a customer's last training row is not
its served row (one loan fewer in the history, an average without the latest loan, the age at
that loan rather than as of the run), so those would raise drift on the first served day.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model_training import lake
from model_training.contract import CUSTOMER_ID, FEATURES, TRAINING_SET_COLUMNS
from model_training.lake import DataValidationError
from model_training.validation import examples, fingerprint, parse_numeric, validate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServingPopulation:
    frame: pd.DataFrame  # id + the five features, one row per customer
    source: str
    run_id: str | None
    as_of: str | None


@dataclass(frozen=True)
class TrainingData:
    frame: pd.DataFrame  # validated, contract columns, sorted by loan_id
    source: str
    fingerprint: str
    serving: ServingPopulation | None


def read_files(location: lake.Location, files: list[str], fmt: str) -> pd.DataFrame:
    with tempfile.TemporaryDirectory(prefix="model-training-data-") as scratch:
        frames = []
        for relative in files:
            local = location.local_file(relative, Path(scratch))
            try:
                if fmt == "csv":
                    # Text first: type problems are reported by validate(), not by a parser.
                    frames.append(
                        pd.read_csv(local, dtype=str, keep_default_na=False, na_values=[""])
                    )
                else:
                    frames.append(pd.read_parquet(local))
            except (ValueError, OSError) as exc:
                raise DataValidationError(
                    location.describe(relative), [f"unreadable {fmt}: {exc}"]
                ) from exc
    if not frames:
        return pd.DataFrame(columns=list(TRAINING_SET_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def validate_online_rows(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """id + the five features, numeric, one row per customer (the store's primary key)."""
    missing = [c for c in (CUSTOMER_ID, *FEATURES) if c not in raw.columns]
    if missing:
        raise DataValidationError(source, [f"online rows lack columns {missing}"])
    if raw.empty:
        raise DataValidationError(source, ["online rows: none (nothing would be served)"])
    problems: list[str] = []
    frame = pd.DataFrame({c: parse_numeric(raw[c], c, problems) for c in (CUSTOMER_ID, *FEATURES)})
    duplicated = frame[CUSTOMER_ID].duplicated(keep=False)
    if duplicated.any():
        problems.append(
            f"online rows: {int(duplicated.sum())} rows share a customer id "
            f"(e.g. {examples(frame[CUSTOMER_ID][duplicated])})"
        )
    if problems:
        raise DataValidationError(source, problems)
    return frame.sort_values(CUSTOMER_ID, kind="mergesort").reset_index(drop=True)


def load_serving_population(source: str) -> ServingPopulation:
    """Online rows given explicitly (`--reference`): a Parquet/CSV file or part directory."""
    found = lake.resolve(source)
    raw = read_files(found.location, found.files, found.fmt)
    return ServingPopulation(validate_online_rows(raw, source), source, None, None)


def _serving_from_run(run: lake.RunFiles | None) -> ServingPopulation | None:
    if run is None or not run.online_files:
        return None
    raw = read_files(run.location, run.online_files, "parquet")
    where = run.location.describe("online/parquet")
    return ServingPopulation(validate_online_rows(raw, where), where, run.run_id, run.as_of)


def load_training_rows(source: str) -> tuple[pd.DataFrame, lake.DataFiles]:
    """The validated training rows of any accepted `--data` form, and where they came from."""
    found = lake.resolve(source)
    log.info("reading %d %s file(s) from %s", len(found.files), found.fmt, source)
    return validate(read_files(found.location, found.files, found.fmt), source), found


def load_training_data(source: str, reference: str | None = None) -> TrainingData:
    """Training rows from any accepted `--data` form, with the serving population.

    The serving population comes from `reference` when given, else from the run's online rows;
    a source without either is refused (no bundle could carry honest reference statistics).
    """
    frame, found = load_training_rows(source)
    serving = load_serving_population(reference) if reference else _serving_from_run(found.run)
    if serving is None:
        layout = "a pipeline run without online/parquet/" if found.run else "plain training rows"
        raise DataValidationError(
            source,
            [
                f"{layout}: the serving population (one online row per customer) is needed for "
                "the bundle's reference statistics; pass the pipeline output of a run that "
                "writes online/parquet/, or --reference <online rows>"
            ],
        )
    return TrainingData(frame, source, fingerprint(frame), serving)


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The model input: exactly the contract features, in contract order, as float64."""
    return frame.loc[:, list(FEATURES)].astype("float64")
