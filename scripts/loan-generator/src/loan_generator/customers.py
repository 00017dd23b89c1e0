"""Customer attributes: one row per customer, constant across that customer's loans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from loan_generator import schema

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

T = TypeVar("T")

# Age bounds of the real file in days (days_birth -25,152..-7,489).
_OLDEST_DAYS = 25_152
_YOUNGEST_DAYS = 7_489
_PENSIONER_YOUNGEST_DAYS = 50 * 365
# Nobody starts working before 18; job_start_date of the real file starts 1978-09-10.
_MIN_WORKING_AGE_DAYS = 18 * 365
_MAX_TENURE_DAYS = 15_713
# job_start_date of the real file ends 2021-08-31, i.e. days_employed <= -17.
_MIN_TENURE_DAYS = 17
# Income: log-normal with the real median 162,000 and mean 188,535, in steps of 2,250.
_INCOME_MEDIAN = 162_000.0
_INCOME_LOG_SIGMA = 0.551
_INCOME_MIN = 27_000.0
_INCOME_MAX = 1_575_000.0
_INCOME_STEP = 2_250.0
# Occupation is empty for every pensioner and for this share of everybody else (~31% overall).
_OCCUPATION_MISSING_NON_PENSIONER = 0.17


@dataclass(frozen=True)
class Customers:
    """Attribute arrays indexed by customer number 0..n-1; categories are indices into schema."""

    customer_id: IntArray
    gender_female: BoolArray
    owns_car: BoolArray
    owns_realty: BoolArray
    cnt_children: IntArray
    income: FloatArray
    income_type: IntArray
    education: IntArray
    family_status: IntArray
    housing: IntArray
    days_birth: IntArray
    days_employed: IntArray
    flag_work_phone: IntArray
    flag_phone: IntArray
    flag_email: IntArray
    occupation: IntArray  # -1 = missing
    cnt_fam_members: IntArray

    @property
    def count(self) -> int:
        return int(self.customer_id.shape[0])

    @property
    def is_sentinel_employment(self) -> BoolArray:
        return self.days_employed == schema.EMPLOYMENT_SENTINEL_DAYS


def _choose(rng: np.random.Generator, table: Sequence[tuple[T, float]], size: int) -> IntArray:
    weights = np.array([w for _, w in table], dtype=np.float64)
    return rng.choice(len(table), size=size, p=weights / weights.sum()).astype(np.int64)


def _scaled_beta(
    rng: np.random.Generator, a: float, b: float, low: int, high: int, size: int
) -> IntArray:
    return np.rint(low + (high - low) * rng.beta(a, b, size)).astype(np.int64)


def generate_customers(count: int, rng: np.random.Generator) -> Customers:
    id_range = schema.CUSTOMER_ID_MAX - schema.CUSTOMER_ID_MIN + 1
    if not 1 <= count <= id_range:
        raise ValueError(f"customers must be between 1 and {id_range}, got {count}")
    # Real ids are a sparse subset of their range; sorted so customer order is id order.
    customer_id = np.sort(
        schema.CUSTOMER_ID_MIN + rng.choice(id_range, size=count, replace=False)
    ).astype(np.int64)

    income_type = _choose(rng, schema.INCOME_TYPES, count)
    pensioner_code = [name for name, _ in schema.INCOME_TYPES].index(schema.PENSIONER)
    is_pensioner = income_type == pensioner_code

    # Pensioners are older; the mix reproduces the real mean age (days_birth mean -16,125).
    age_days = np.where(
        is_pensioner,
        _scaled_beta(rng, 2.2, 1.96, _PENSIONER_YOUNGEST_DAYS, _OLDEST_DAYS, count),
        _scaled_beta(rng, 2.0, 2.72, _YOUNGEST_DAYS, _OLDEST_DAYS, count),
    )
    tenure = np.rint(np.exp(np.log(2_150.0) + 0.95 * rng.standard_normal(count)))
    tenure_cap = np.minimum(
        _MAX_TENURE_DAYS, np.maximum(_MIN_TENURE_DAYS, age_days - _MIN_WORKING_AGE_DAYS)
    )
    tenure = np.clip(tenure, _MIN_TENURE_DAYS, tenure_cap).astype(np.int64)
    days_employed = np.where(is_pensioner, schema.EMPLOYMENT_SENTINEL_DAYS, -tenure)

    income = np.exp(np.log(_INCOME_MEDIAN) + _INCOME_LOG_SIGMA * rng.standard_normal(count))
    income = np.clip(np.rint(income / _INCOME_STEP) * _INCOME_STEP, _INCOME_MIN, _INCOME_MAX)

    family_status = _choose(rng, schema.FAMILY_STATUSES, count)
    partnered_codes = [
        i
        for i, (name, _) in enumerate(schema.FAMILY_STATUSES)
        if name in schema.PARTNERED_FAMILY_STATUSES
    ]
    children_values = np.array([n for n, _ in schema.CHILDREN_COUNTS], dtype=np.int64)
    cnt_children = children_values[_choose(rng, schema.CHILDREN_COUNTS, count)]
    cnt_fam_members = np.minimum(
        20, 1 + np.isin(family_status, partnered_codes).astype(np.int64) + cnt_children
    )

    occupation = _choose(rng, schema.OCCUPATION_TYPES, count)
    occupation_missing = is_pensioner | (rng.random(count) < _OCCUPATION_MISSING_NON_PENSIONER)
    occupation = np.where(occupation_missing, -1, occupation)

    return Customers(
        customer_id=customer_id,
        gender_female=rng.random(count) < 0.670,
        owns_car=rng.random(count) < 0.380,
        owns_realty=rng.random(count) < 0.672,
        cnt_children=cnt_children,
        income=income,
        income_type=income_type,
        education=_choose(rng, schema.EDUCATION_TYPES, count),
        family_status=family_status,
        housing=_choose(rng, schema.HOUSING_TYPES, count),
        days_birth=-age_days,
        days_employed=days_employed.astype(np.int64),
        flag_work_phone=(rng.random(count) < 0.225).astype(np.int64),
        flag_phone=(rng.random(count) < 0.295).astype(np.int64),
        flag_email=(rng.random(count) < 0.089).astype(np.int64),
        occupation=occupation.astype(np.int64),
        cnt_fam_members=cnt_fam_members,
    )
