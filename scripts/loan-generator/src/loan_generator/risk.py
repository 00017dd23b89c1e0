"""The generating model of `status`: a latent customer risk plus noise, calibrated to a rate.

logit P(status = 1) = intercept + seen(x) + unseen(customer) + customer_effect

* seen(x): a function of exactly the five model features of the loan
  (docs/contracts/features.md, as_of = the
  loan's own date): younger customers, short job tenure, no car, few previous loans and large
  previous loans raise the risk.
* unseen(customer): attributes the model never sees (income, education, family, housing,
  children).
* customer_effect: a normal random effect per customer, so late payers are late repeatedly.

The unseen parts are drawn independently of everything that feeds the five features, so
P(status = 1 | features) is increasing in seen(x): ranking loans by seen(x) is the best any
model of the five features can do on new customers (the "oracle" of README.md).
The intercept is solved on the realised draws so the positive count is exactly
round(rate x rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from loan_generator import schema
from loan_generator.customers import Customers
from loan_generator.loans import AMOUNT_UNITS_PER_CURRENCY, Loans

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_DAYS_FROM_EXTRACTION_TO_WINDOW = (schema.LOAN_WINDOW_START - schema.EXTRACTION_DATE).days

# Seen part (log-odds).
AGE_PER_DECADE_YOUNGER = 0.60
AGE_REFERENCE_YEARS = 40.0
TENURE_SHORT = 1.10  # added at 0 years on the job, decaying with a 3-year scale
TENURE_SCALE_YEARS = 3.0
TENURE_UNKNOWN = 0.30  # no job or job not started yet (years_on_the_job null)
OWNS_CAR = -0.60
NEW_CUSTOMER = 0.90  # added for the first loan, decaying with a 4-loan scale
NEW_CUSTOMER_SCALE_LOANS = 4.0
PREVIOUS_AMOUNT_PER_LOG = 1.40  # per unit of log(avg previous amount - 99)
PREVIOUS_AMOUNT_REFERENCE = 25.0
# Unseen part (log-odds).
INCOME_PER_LOG = -0.45
EDUCATION_EFFECT = {
    "Higher education": -0.25,
    "Academic degree": -0.50,
    "Incomplete higher": 0.10,
    "Lower secondary": 0.35,
}
FAMILY_EFFECT = {
    "Single / not married": 0.20,
    "Separated": 0.25,
    "Widow": 0.10,
    "Civil marriage": 0.10,
}
HOUSING_EFFECT = {"Rented apartment": 0.30, "With parents": 0.20, "Municipal apartment": 0.15}
PER_CHILD = 0.10  # up to 3 children
CUSTOMER_EFFECT_SIGMA = 2.5


@dataclass(frozen=True)
class LoanFeatures:
    """The five model features of each loan with as_of = its loan_date (NaN = null)."""

    nb_previous_loans: IntArray
    avg_amount_loans_previous: FloatArray
    age: IntArray
    years_on_the_job: FloatArray
    flag_own_car: IntArray


@dataclass(frozen=True)
class Risk:
    features: LoanFeatures
    seen: FloatArray  # the five-feature oracle score
    log_odds: FloatArray  # full latent log-odds including the intercept
    status: IntArray
    intercept: float


def compute_features(customers: Customers, loans: Loans) -> LoanFeatures:
    """Contract features for loans sorted by (customer, day); ties ordered by loan_id."""
    n = loans.count
    order = np.lexsort((loans.loan_id, loans.day, loans.customer))
    cust = loans.customer[order]
    day = loans.day[order]
    amount = loans.amount_units[order].astype(np.float64) / AMOUNT_UNITS_PER_CURRENCY

    new_customer = np.r_[True, cust[1:] != cust[:-1]]
    customer_start = np.maximum.accumulate(np.where(new_customer, np.arange(n), 0))
    nb_previous = np.arange(n) - customer_start

    # "Previous" for the average means a strictly earlier date: count up to the date's first loan.
    new_date = new_customer | np.r_[True, day[1:] != day[:-1]]
    date_start = np.maximum.accumulate(np.where(new_date, np.arange(n), 0))
    running = np.r_[0.0, np.cumsum(amount)]
    prior_count = date_start - customer_start
    prior_sum = running[date_start] - running[customer_start]
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_previous = np.where(prior_count > 0, prior_sum / np.maximum(prior_count, 1), np.nan)

    days_since_birth = day + _DAYS_FROM_EXTRACTION_TO_WINDOW - customers.days_birth[cust]
    days_on_job = day + _DAYS_FROM_EXTRACTION_TO_WINDOW - customers.days_employed[cust]
    years_on_job = np.where(days_on_job >= 0, np.floor_divide(days_on_job, 365), np.nan)

    def unsort(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        result = np.empty_like(values)
        result[order] = values
        return result

    return LoanFeatures(
        nb_previous_loans=unsort(nb_previous.astype(np.int64)),
        avg_amount_loans_previous=unsort(avg_previous),
        age=unsort(np.floor_divide(days_since_birth, 365).astype(np.int64)),
        years_on_the_job=unsort(years_on_job.astype(np.float64)),
        flag_own_car=unsort(customers.owns_car[cust].astype(np.int64)),
    )


def seen_log_odds(features: LoanFeatures) -> FloatArray:
    """The part of the risk that is a function of the five model features only."""
    age = np.clip((AGE_REFERENCE_YEARS - features.age) / 10.0, -2.5, 2.5) * AGE_PER_DECADE_YOUNGER
    years = features.years_on_the_job
    tenure = np.where(
        np.isnan(years),
        TENURE_UNKNOWN,
        TENURE_SHORT * np.exp(-np.nan_to_num(years) / TENURE_SCALE_YEARS),
    )
    car = OWNS_CAR * features.flag_own_car
    history = NEW_CUSTOMER * np.exp(-features.nb_previous_loans / NEW_CUSTOMER_SCALE_LOANS)
    avg = features.avg_amount_loans_previous
    previous_amount = np.where(
        np.isnan(avg),
        0.0,
        PREVIOUS_AMOUNT_PER_LOG
        * (
            np.log(np.maximum(np.nan_to_num(avg, nan=100.0) - 99.0, 1.0))
            - np.log(PREVIOUS_AMOUNT_REFERENCE)
        ),
    )
    return np.asarray(age + tenure + car + history + previous_amount, dtype=np.float64)


def _effect(
    codes: IntArray, table: tuple[tuple[str, float], ...], effects: dict[str, float]
) -> FloatArray:
    lookup = np.array([effects.get(name, 0.0) for name, _ in table], dtype=np.float64)
    return lookup[codes]


def unseen_log_odds(customers: Customers) -> FloatArray:
    return (
        INCOME_PER_LOG * np.log(customers.income / 162_000.0)
        + _effect(customers.education, schema.EDUCATION_TYPES, EDUCATION_EFFECT)
        + _effect(customers.family_status, schema.FAMILY_STATUSES, FAMILY_EFFECT)
        + _effect(customers.housing, schema.HOUSING_TYPES, HOUSING_EFFECT)
        + PER_CHILD * np.minimum(customers.cnt_children, 3)
    )


def draw_status(
    customers: Customers, loans: Loans, positive_rate: float, rng: np.random.Generator
) -> Risk:
    if not 0.0 <= positive_rate < 1.0:
        raise ValueError(f"positive_rate must be in [0, 1), got {positive_rate}")
    features = compute_features(customers, loans)
    seen = seen_log_odds(features)
    customer_effect = CUSTOMER_EFFECT_SIGMA * rng.standard_normal(customers.count)
    latent = seen + (unseen_log_odds(customers) + customer_effect)[loans.customer]

    # status = 1  <=>  uniform < sigmoid(intercept + latent)
    #             <=>  logit(uniform) - latent < intercept
    uniform = rng.random(loans.count)
    threshold = np.log(uniform) - np.log1p(-uniform) - latent
    positives = round(positive_rate * loans.count)
    status = np.zeros(loans.count, dtype=np.int64)
    if positives == 0:
        intercept = float(threshold.min() - 1.0)
    else:
        ranked = np.argsort(threshold, kind="stable")
        status[ranked[:positives]] = 1
        below = threshold[ranked[positives - 1]]
        above = threshold[ranked[positives]] if positives < loans.count else below + 2.0
        intercept = float((below + above) / 2.0)
    return Risk(
        features=features,
        seen=seen,
        log_odds=latent + intercept,
        status=status,
        intercept=intercept,
    )
