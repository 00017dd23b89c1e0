"""The whole synthetic dataset in memory: customers, loans, labels and the file's row order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loan_generator.config import DEFAULTS
from loan_generator.customers import Customers, generate_customers
from loan_generator.loans import Loans, generate_loans_for
from loan_generator.risk import Risk, draw_status

IntArray = npt.NDArray[np.int64]

# Independent random streams per concern, so changing one part never reshuffles the others.
_STREAM_CUSTOMERS, _STREAM_LOANS, _STREAM_STATUS, _STREAM_FILE_ORDER, _STREAM_DEFECTS = range(5)


@dataclass(frozen=True)
class LoanDataset:
    seed: int
    customers: Customers
    loans: Loans
    risk: Risk
    file_order: IntArray  # loan indices in the order they appear in the file

    @property
    def rows(self) -> int:
        return self.loans.count

    def defects_rng(self) -> np.random.Generator:
        return stream(self.seed, _STREAM_DEFECTS)


def stream(seed: int, purpose: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, purpose])))


def validate_arguments(customers: int, seed: int) -> None:
    if isinstance(customers, bool) or not isinstance(customers, int):
        raise TypeError(f"customers must be an int, got {type(customers).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")


def generate_loans(
    customers: int = DEFAULTS.customers,
    seed: int = DEFAULTS.seed,
    positive_rate: float = DEFAULTS.positive_rate,
) -> LoanDataset:
    """Generate the dataset; identical arguments give identical data."""
    validate_arguments(customers, seed)
    people = generate_customers(customers, stream(seed, _STREAM_CUSTOMERS))
    loans = generate_loans_for(customers, stream(seed, _STREAM_LOANS))
    risk = draw_status(people, loans, positive_rate, stream(seed, _STREAM_STATUS))
    # The file is ordered by loan_date; within a date the order is unrelated to the customer.
    tie_breaker = stream(seed, _STREAM_FILE_ORDER).permutation(loans.count)
    file_order = np.lexsort((tie_breaker, loans.day)).astype(np.int64)
    return LoanDataset(seed=seed, customers=people, loans=loans, risk=risk, file_order=file_order)
