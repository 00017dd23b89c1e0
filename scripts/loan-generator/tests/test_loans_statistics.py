"""Rates and distributions against the figures of docs/contracts/raw-loans.md (3,000 customers)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict

from lg_helpers import COL, REAL_POSITIVE_RATE, SENTINEL_DAYS, SMALL_CUSTOMERS, GeneratedFile


def _first_row_per_customer(file: GeneratedFile) -> list[list[str]]:
    first: dict[str, list[str]] = {}
    for row in file.rows:
        first.setdefault(row[COL["id"]], row)
    return list(first.values())


def test_positive_rate_matches_the_real_file(small_file: GeneratedFile) -> None:
    status = [int(s) for s in small_file.column("status")]
    rate = sum(status) / len(status)
    assert abs(rate - REAL_POSITIVE_RATE) < 0.0005


def test_loans_per_customer(small_file: GeneratedFile) -> None:
    counts = Counter(small_file.column("id"))
    values = list(counts.values())
    assert min(values) == 1
    assert 55 <= max(values) <= 61
    assert 20.3 <= statistics.fmean(values) <= 22.3  # real: 21.3
    assert sum(1 for v in values if v == 1) >= 10  # single-loan customers exist


def test_same_day_loans_occur_at_the_real_frequency(small_file: GeneratedFile) -> None:
    per_customer_day = Counter(
        zip(small_file.column("id"), small_file.column("loan_date"), strict=True)
    )
    pairs = sum(1 for n in per_customer_day.values() if n > 1)
    # ~3,700 pairs for 36,457 customers -> ~305 expected for 3,000.
    expected = 3_700 * SMALL_CUSTOMERS / 36_457
    assert 0.6 * expected <= pairs <= 1.4 * expected


def test_occupation_missing_for_about_30_percent_of_customers(small_file: GeneratedFile) -> None:
    customers = _first_row_per_customer(small_file)
    missing = sum(1 for row in customers if row[COL["occupation_type"]] == "") / len(customers)
    assert 0.26 <= missing <= 0.35


def test_employment_sentinel_is_present_and_means_pensioner(small_file: GeneratedFile) -> None:
    customers = _first_row_per_customer(small_file)
    sentinel = [row for row in customers if int(row[COL["days_employed"]]) == SENTINEL_DAYS]
    assert 0.12 <= len(sentinel) / len(customers) <= 0.22
    assert {row[COL["name_income_type"]] for row in sentinel} == {"Pensioner"}
    assert {row[COL["occupation_type"]] for row in sentinel} == {""}


def test_amount_distribution_is_right_skewed_like_the_real_one(small_file: GeneratedFile) -> None:
    amounts = sorted(float(a) for a in small_file.column("loan_amount"))
    n = len(amounts)

    def quantile(q: float) -> float:
        return amounts[int(q * (n - 1))]

    assert amounts[0] >= 100.0
    assert 100.8 <= quantile(0.05) <= 101.8  # real 101.25
    assert 105.5 <= quantile(0.25) <= 109.0  # real 107.2
    assert 115.5 <= quantile(0.50) <= 121.0  # real 118.2
    assert 135.5 <= quantile(0.75) <= 143.0  # real 139.3
    assert 185.0 <= quantile(0.95) <= 208.0  # real 196.5
    assert 126.0 <= statistics.fmean(amounts) <= 133.0  # real 129.5
    assert statistics.fmean(amounts) > quantile(0.5)  # right-skewed


def test_customer_attribute_distributions(small_file: GeneratedFile) -> None:
    customers = _first_row_per_customer(small_file)
    days_birth = [int(row[COL["days_birth"]]) for row in customers]
    assert -16_700 <= statistics.fmean(days_birth) <= -15_550  # real mean -16,125
    incomes = [float(row[COL["amt_income_total"]]) for row in customers]
    assert 150_000 <= statistics.median(incomes) <= 175_000  # real 162,000
    assert 178_000 <= statistics.fmean(incomes) <= 199_000  # real 188,535
    children = [int(row[COL["cnt_children"]]) for row in customers]
    assert 0.35 <= statistics.fmean(children) <= 0.52  # real 0.43
    assert statistics.median(children) == 0
    family = [float(row[COL["cnt_fam_members"]]) for row in customers]
    assert 2.1 <= statistics.fmean(family) <= 2.32  # real 2.21
    for name, real in (("flag_work_phone", 0.23), ("flag_phone", 0.30), ("flag_email", 0.09)):
        share = statistics.fmean(int(row[COL[name]]) for row in customers)
        assert abs(share - real) < 0.035, name


def test_employed_days_median_near_the_real_one(small_file: GeneratedFile) -> None:
    # Real: median days_employed over rows (sentinel included) is -1,682.
    median = statistics.median(int(v) for v in small_file.column("days_employed"))
    assert -2_100 <= median <= -1_300


def test_status_clusters_within_customers(small_file: GeneratedFile) -> None:
    by_customer: dict[str, list[int]] = defaultdict(list)
    for row in small_file.rows:
        by_customer[row[COL["id"]]].append(int(row[COL["status"]]))
    # P(another loan of the customer is late | this loan is late) versus the base rate.
    base = sum(sum(v) for v in by_customer.values()) / sum(len(v) for v in by_customer.values())
    pairs_late = sum(sum(v) * (sum(v) - 1) for v in by_customer.values())
    pairs_from_late = sum(sum(v) * (len(v) - 1) for v in by_customer.values())
    assert pairs_late / pairs_from_late > 8 * base
