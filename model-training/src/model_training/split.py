"""The split stage: training / validation / an untouched test set, and its fingerprint.

Test rows are every loan of the held-out customers (a salted hash of the id below
`test_fraction`) plus every loan of the latest `test_months` calendar months. Hashing, not
shuffling, keeps the assignment stable when data is added, and test months only move forward:
so a champion trained earlier never saw a challenger's test rows as long as both used the same
split definition, which is what the gate checks before comparing them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from model_training.config import SplitConfig
from model_training.contract import CUSTOMER_ID, LABEL, LOAN_DATE
from model_training.lake import DataValidationError


@dataclass(frozen=True)
class SplitFingerprint:
    strategy: str
    salt: int
    validation_fraction: float
    test_fraction: float
    test_months: int
    test_cutoff: str  # first day of the test months (ISO date); loans on/after it are test
    test_customers: int
    test_customers_sha256: str

    @property
    def definition(self) -> dict[str, object]:
        return {
            "strategy": self.strategy,
            "salt": self.salt,
            "validation_fraction": self.validation_fraction,
            "test_fraction": self.test_fraction,
            "test_months": self.test_months,
        }

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "sha256": self.sha256}

    def unfair_against(self, champion: dict[str, object]) -> str | None:
        """Why comparing with a champion split this way would be unfair, or None."""
        theirs = {k: champion.get(k) for k in self.definition}
        if theirs != self.definition:
            return f"split definition differs: champion {theirs}, challenger {self.definition}"
        if str(champion.get("test_cutoff", "")) > self.test_cutoff:
            return (
                f"champion trained on loans up to {champion['test_cutoff']}, after the "
                f"challenger's test cutoff {self.test_cutoff}"
            )
        return None


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row positions
    validation: np.ndarray
    test: np.ndarray
    held_out_customer: np.ndarray  # per test row: True = customer never in train/validation
    fingerprint: SplitFingerprint


def customer_bucket(customer_ids: np.ndarray, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) per customer id, a pure function of (id, salt) (splitmix64)."""
    with np.errstate(over="ignore"):
        z = customer_ids.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def test_cutoff(dates: pd.Series, months: int) -> pd.Timestamp:
    """First day of the latest `months` calendar months present (after all dates when 0)."""
    last_month = dates.max().to_period("M")
    return (last_month - months + 1).to_timestamp()


def _validation_rows(
    frame: pd.DataFrame, config: SplitConfig, bucket: np.ndarray, pool: np.ndarray
) -> np.ndarray:
    if config.strategy == "customer":
        upper = config.test_fraction + config.validation_fraction
        return pool & (bucket < upper)
    dates = frame[LOAN_DATE].where(pool)
    return pool & (dates >= dates.quantile(1.0 - config.validation_fraction)).to_numpy()


def make_split(frame: pd.DataFrame, config: SplitConfig) -> Split:
    bucket = customer_bucket(frame[CUSTOMER_ID].to_numpy(), config.salt)
    cutoff = test_cutoff(frame[LOAN_DATE], config.test_months)
    held_out = bucket < config.test_fraction
    test = held_out | (frame[LOAN_DATE] >= cutoff).to_numpy()
    validation = _validation_rows(frame, config, bucket, ~test)
    train = ~test & ~validation
    test_ids = np.unique(frame[CUSTOMER_ID].to_numpy()[held_out])
    fingerprint = SplitFingerprint(
        strategy=config.strategy,
        salt=config.salt,
        validation_fraction=config.validation_fraction,
        test_fraction=config.test_fraction,
        test_months=config.test_months,
        test_cutoff=cutoff.date().isoformat(),
        test_customers=len(test_ids),
        test_customers_sha256=hashlib.sha256(test_ids.astype("<i8").tobytes()).hexdigest(),
    )
    split = Split(
        train=np.flatnonzero(train),
        validation=np.flatnonzero(validation),
        test=np.flatnonzero(test),
        held_out_customer=held_out[test],
        fingerprint=fingerprint,
    )
    _check_classes(frame, split)
    return split


def _check_classes(frame: pd.DataFrame, split: Split) -> None:
    labels = frame[LABEL].to_numpy()
    problems = [
        f"{name} split has {len(rows)} rows and lacks one of the classes"
        for name, rows in (
            ("train", split.train),
            ("validation", split.validation),
            ("test", split.test),
        )
        if len(rows) == 0 or len(np.unique(labels[rows])) < 2
    ]
    if problems:
        raise DataValidationError("split", problems)


def subsample(rows: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """At most `max_rows` of `rows`, in their original order (deterministic for a seed)."""
    if len(rows) <= max_rows:
        return rows
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, size=max_rows, replace=False))


def inner_split(frame: pd.DataFrame, fraction: float, salt: int) -> tuple[np.ndarray, np.ndarray]:
    """Customer-grouped hold-out inside the training rows (hyperparameter search)."""
    inner = customer_bucket(frame[CUSTOMER_ID].to_numpy(), salt) < fraction
    return np.flatnonzero(~inner), np.flatnonzero(inner)
