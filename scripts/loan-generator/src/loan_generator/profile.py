"""A short statistical profile of a generated dataset (figures of docs/contracts/raw-loans.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from loan_generator import schema
from loan_generator.dataset import LoanDataset
from loan_generator.loans import AMOUNT_UNITS_PER_CURRENCY

_AMOUNT_PERCENTILES = (5, 25, 50, 75, 95)


def profile_dataset(dataset: LoanDataset) -> dict[str, Any]:
    """Statistics of the clean rows (injected defect rows are described by the manifest)."""
    customers, loans, status = dataset.customers, dataset.loans, dataset.risk.status
    per_customer = np.bincount(loans.customer, minlength=customers.count)
    positives_per_customer = np.bincount(loans.customer, weights=status, minlength=customers.count)
    _, same_day_counts = np.unique(
        loans.customer * schema.LOAN_WINDOW_DAYS + loans.day, return_counts=True
    )
    amount = loans.amount_units / AMOUNT_UNITS_PER_CURRENCY
    first_day = schema.LOAN_WINDOW_START + dt.timedelta(days=int(loans.day.min()))
    last_day = schema.LOAN_WINDOW_START + dt.timedelta(days=int(loans.day.max()))
    employed = customers.days_employed[~customers.is_sentinel_employment]
    return {
        "rows": dataset.rows,
        "customers": customers.count,
        "loans_per_customer": {
            "min": int(per_customer.min()),
            "mean": round(float(per_customer.mean()), 2),
            "max": int(per_customer.max()),
        },
        "positives": int(status.sum()),
        "positive_rate": round(float(status.mean()), 5),
        "customers_with_a_positive": int((positives_per_customer > 0).sum()),
        "positives_in_customers_with_2_or_more": int(
            positives_per_customer[positives_per_customer >= 2].sum()
        ),
        "loan_date_range": [first_day.isoformat(), last_day.isoformat()],
        "distinct_loan_dates": int(np.unique(loans.day).size),
        "same_day_pairs": int((same_day_counts > 1).sum()),
        "loan_id_range": [int(loans.loan_id.min()), int(loans.loan_id.max())],
        "customer_id_range": [int(customers.customer_id.min()), int(customers.customer_id.max())],
        "occupation_missing_share": round(float((customers.occupation < 0).mean()), 4),
        "employment_sentinel_share": round(float(customers.is_sentinel_employment.mean()), 4),
        "days_birth": {
            "min": int(customers.days_birth.min()),
            "mean": round(float(customers.days_birth.mean()), 1),
            "max": int(customers.days_birth.max()),
        },
        "days_employed_employed": {
            "min": int(employed.min()) if employed.size else None,
            "max": int(employed.max()) if employed.size else None,
        },
        "days_employed_median_rows": float(np.median(customers.days_employed[loans.customer])),
        "income": {
            "min": float(customers.income.min()),
            "mean": round(float(customers.income.mean()), 1),
            "median": float(np.median(customers.income)),
            "max": float(customers.income.max()),
        },
        "cnt_children_mean": round(float(customers.cnt_children.mean()), 3),
        "cnt_fam_members_mean": round(float(customers.cnt_fam_members.mean()), 3),
        "loan_amount": {
            "min": round(float(amount.min()), 2),
            **{f"p{p}": round(float(np.percentile(amount, p)), 2) for p in _AMOUNT_PERCENTILES},
            "mean": round(float(amount.mean()), 2),
            "std": round(float(amount.std()), 2),
            "max": round(float(amount.max()), 2),
            "all_distinct": bool(np.unique(loans.amount_units).size == dataset.rows),
        },
    }


def format_profile(profile: dict[str, Any]) -> str:
    lines = []
    for key, value in profile.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={v}" for k, v in value.items())
            lines.append(f"{key}: {inner}")
        elif isinstance(value, list):
            lines.append(f"{key}: {value[0]} .. {value[1]}")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)
