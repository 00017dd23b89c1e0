"""Loans of each customer: how many, on which dates, for how much, under which loan_id."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loan_generator import schema

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Loans per customer: 1 + Gamma, capped at 60 (real: 1..~60, mean 21.3).
_LOAN_COUNT_SHAPE = 1.45
_LOAN_COUNT_SCALE = 14.72
MAX_LOANS_PER_CUSTOMER = 60
# Customers borrow roughly monthly; their active span is loans x spacing days.
_SPACING_MEDIAN_DAYS = 30.0
_SPACING_LOG_SIGMA = 0.4
# Probability that a loan falls on the same date as the customer's previous one.
_SAME_DAY_PROBABILITY = 0.0052
# loan_amount - 100 = customer scale (log-normal, sigma 0.4) x exponential(mean 29.5):
# this reproduces the real quantiles (p5 101.25 .. p95 196.5, mean 129.5, std 33.8).
_AMOUNT_EXCESS_MEAN = 29.5
_AMOUNT_CUSTOMER_LOG_SIGMA = 0.4
# Amounts are written with this many decimals (the real file carries full float precision,
# ~184 bytes per row); every written value is distinct.
AMOUNT_DECIMALS = 12
AMOUNT_UNITS_PER_CURRENCY = 10**AMOUNT_DECIMALS


@dataclass(frozen=True)
class Loans:
    """One entry per loan, sorted by (customer, loan_date); amounts are integer units."""

    customer: IntArray  # customer number 0..n-1
    day: IntArray  # loan_date as days since schema.LOAN_WINDOW_START
    amount_units: IntArray  # loan_amount x AMOUNT_UNITS_PER_CURRENCY (exact, distinct)
    loan_id: IntArray

    @property
    def count(self) -> int:
        return int(self.customer.shape[0])


def _loan_counts(customers: int, rng: np.random.Generator) -> IntArray:
    extra = np.floor(rng.gamma(_LOAN_COUNT_SHAPE, _LOAN_COUNT_SCALE, customers))
    return (1 + np.minimum(extra, MAX_LOANS_PER_CUSTOMER - 1)).astype(np.int64)


def _rank_within(groups: IntArray) -> IntArray:
    """0-based position of each element inside its run of equal (sorted) group values."""
    n = groups.shape[0]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    run_lengths = np.diff(np.r_[starts, n])
    return np.arange(n, dtype=np.int64) - np.repeat(starts, run_lengths)


def _loan_days(counts: IntArray, customer: IntArray, rng: np.random.Generator) -> IntArray:
    n_customers = counts.shape[0]
    spacing = np.exp(
        np.log(_SPACING_MEDIAN_DAYS) + _SPACING_LOG_SIGMA * rng.standard_normal(n_customers)
    )
    span = np.clip(np.rint(counts * spacing), counts, schema.LOAN_WINDOW_DAYS).astype(np.int64)
    span_start = np.floor(rng.random(n_customers) * (schema.LOAN_WINDOW_DAYS - span + 1)).astype(
        np.int64
    )

    # Distinct sorted offsets inside the span: sorted draws from [0, span - count] plus their rank.
    slack = (span - counts + 1)[customer]
    draws = np.floor(rng.random(customer.shape[0]) * slack).astype(np.int64)
    order = np.lexsort((draws, customer))
    draws = draws[order]
    rank = _rank_within(customer)
    day = span_start[customer] + draws + rank

    # Same-day loans: some loans reuse the date of the customer's previous loan.
    same_as_previous = (rank > 0) & (rng.random(customer.shape[0]) < _SAME_DAY_PROBABILITY)
    source = np.where(same_as_previous, 0, np.arange(customer.shape[0]))
    source = np.maximum.accumulate(source)  # a customer's first loan is never a copy
    return day[source]


def _unique_amount_units(excess: FloatArray) -> IntArray:
    """Quantise to integer units and nudge the few collisions apart so every value is distinct."""
    units = np.rint((schema.MIN_LOAN_AMOUNT + excess) * AMOUNT_UNITS_PER_CURRENCY).astype(np.int64)
    units = np.maximum(units, int(schema.MIN_LOAN_AMOUNT * AMOUNT_UNITS_PER_CURRENCY))
    order = np.argsort(units, kind="stable")
    ranked = units[order]
    # Strictly increasing with minimal shifts: v_i >= v_{i-1} + 1.
    offsets = np.arange(ranked.shape[0], dtype=np.int64)
    ranked = np.maximum.accumulate(ranked - offsets) + offsets
    result = np.empty_like(units)
    result[order] = ranked
    return result


def generate_loans_for(customers: int, rng: np.random.Generator) -> Loans:
    counts = _loan_counts(customers, rng)
    customer = np.repeat(np.arange(customers, dtype=np.int64), counts)
    day = _loan_days(counts, customer, rng)

    scale = np.exp(
        _AMOUNT_CUSTOMER_LOG_SIGMA * rng.standard_normal(customers)
        - _AMOUNT_CUSTOMER_LOG_SIGMA**2 / 2
    )
    excess = scale[customer] * rng.exponential(_AMOUNT_EXCESS_MEAN, customer.shape[0])
    amount_units = _unique_amount_units(excess)

    # loan_id: a dense range handed out in an order unrelated to time or customer.
    loan_id = schema.FIRST_LOAN_ID + rng.permutation(customer.shape[0]).astype(np.int64)
    return Loans(customer=customer, day=day, amount_units=amount_units, loan_id=loan_id)
