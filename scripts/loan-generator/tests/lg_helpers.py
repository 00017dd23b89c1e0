"""Helpers for the loan-generator tests: run the console command, read files back with csv.

The expected domains are spelled out here from docs/contracts/raw-loans.md on purpose, not
imported from the
generator, so a wrong constant in the generator cannot make its own test pass.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SMALL_CUSTOMERS = 3_000
SIGNAL_CUSTOMERS = 5_000
SEED = 7

COLUMNS = [
    "loan_id", "id", "code_gender", "flag_own_car", "flag_own_realty", "cnt_children",
    "amt_income_total", "name_income_type", "name_education_type", "name_family_status",
    "name_housing_type", "days_birth", "days_employed", "flag_mobil", "flag_work_phone",
    "flag_phone", "flag_email", "occupation_type", "cnt_fam_members", "status", "birthday",
    "job_start_date", "loan_date", "loan_amount",
]  # fmt: skip
COL = {name: i for i, name in enumerate(COLUMNS)}
CUSTOMER_COLUMNS = [
    i
    for i, name in enumerate(COLUMNS)
    if name not in {"loan_id", "status", "loan_date", "loan_amount"}
]

EXTRACTION_DATE = dt.date(2021, 9, 17)
WINDOW_START = dt.date(2019, 1, 1)
WINDOW_END = dt.date(2020, 12, 30)
SENTINEL_DAYS = 365243
SENTINEL_DATE = "3021-09-18"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REAL_POSITIVE_RATE = 11_575 / 777_715


def generate_loans_command() -> list[str]:
    installed = Path(sys.executable).with_name("generate-loans")
    if installed.exists():
        return [str(installed)]
    found = shutil.which("generate-loans")
    if found is None:
        pytest.fail("the generate-loans console command is not installed")
    return [found]


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*generate_loans_command(), *args], capture_output=True, text=True, check=False, timeout=120
    )


def generate(
    directory: Path, customers: int, seed: int, *extra: str, name: str | None = None
) -> Path:
    out = directory / (name or f"loans_{customers}_{seed}.csv")
    result = run_generator(
        "--customers", str(customers), "--seed", str(seed), "--out", str(out), *extra
    )
    assert result.returncode == 0, result.stderr
    return out


@dataclass(frozen=True)
class GeneratedFile:
    path: Path
    header: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[str]:
        index = COL[name]
        return [row[index] for row in self.rows]


def read_csv(path: Path) -> GeneratedFile:
    with path.open(newline="", encoding="ascii") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    return GeneratedFile(path=path, header=header, rows=rows)


@functools.cache
def parse_date(text: str) -> dt.date | None:
    """Strict YYYY-MM-DD (strptime alone also accepts one-digit months and days)."""
    if not ISO_DATE.match(text):
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None


def roc_auc(scores: list[float], labels: list[int]) -> float:
    """Mann-Whitney AUC with average ranks for ties (written here, independent of any library)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(labels)
    negatives = len(labels) - positives
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y == 1)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
