"""Text of the clean rows, in the real file's format (see docs/contracts/raw-loans.md)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from loan_generator import schema
from loan_generator.dataset import LoanDataset
from loan_generator.loans import AMOUNT_DECIMALS, AMOUNT_UNITS_PER_CURRENCY

HEADER = ",".join(schema.COLUMNS)

# RowFormatter.rows spells the amount format out for speed.
if AMOUNT_DECIMALS != 12:  # pragma: no cover
    raise RuntimeError("RowFormatter.rows assumes 12 amount decimals")


def format_date(days_from_extraction: int) -> str:
    return (schema.EXTRACTION_DATE + dt.timedelta(days=days_from_extraction)).isoformat()


def format_amount_units(units: int) -> str:
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), AMOUNT_UNITS_PER_CURRENCY)
    return f"{sign}{whole}.{fraction:0{AMOUNT_DECIMALS}d}"


def _names(table: tuple[tuple[str, float], ...]) -> list[str]:
    return [name for name, _ in table]


class RowFormatter:
    """Builds row text from per-customer pieces, so a row costs one f-string."""

    def __init__(self, dataset: LoanDataset) -> None:
        c = dataset.customers
        gender = np.where(c.gender_female, "F", "M")
        car = np.where(c.owns_car, "Y", "N")
        realty = np.where(c.owns_realty, "Y", "N")
        income_types = _names(schema.INCOME_TYPES)
        educations = _names(schema.EDUCATION_TYPES)
        families = _names(schema.FAMILY_STATUSES)
        housings = _names(schema.HOUSING_TYPES)
        occupations = [*_names(schema.OCCUPATION_TYPES), ""]  # code -1 -> ""
        # Columns 2..19 (id .. cnt_fam_members) and 21..22 (birthday, job_start_date).
        self._customer_head: list[str] = [
            f"{c.customer_id[i]},{gender[i]},{car[i]},{realty[i]},{c.cnt_children[i]},"
            f"{c.income[i]:.1f},{income_types[c.income_type[i]]},{educations[c.education[i]]},"
            f"{families[c.family_status[i]]},{housings[c.housing[i]]},{c.days_birth[i]},"
            f"{c.days_employed[i]},1,{c.flag_work_phone[i]},{c.flag_phone[i]},{c.flag_email[i]},"
            f"{occupations[c.occupation[i]]},{c.cnt_fam_members[i]}.0"
            for i in range(c.count)
        ]
        self._customer_dates: list[str] = [
            f"{format_date(int(b))},{format_date(int(e))}"
            for b, e in zip(c.days_birth, c.days_employed, strict=True)
        ]
        offset = (schema.LOAN_WINDOW_START - schema.EXTRACTION_DATE).days
        self._loan_dates = [format_date(offset + d) for d in range(schema.LOAN_WINDOW_DAYS)]
        loans = dataset.loans
        self._loan_id = loans.loan_id.tolist()
        self._customer = loans.customer.tolist()
        self._status = dataset.risk.status.tolist()
        self._day = loans.day.tolist()
        self._whole, self._fraction = (
            part.tolist() for part in np.divmod(loans.amount_units, AMOUNT_UNITS_PER_CURRENCY)
        )

    def rows(self, loan_indices: list[int]) -> list[str]:
        """Row texts (without line ending) of the given loans."""
        head, dates, loan_dates = self._customer_head, self._customer_dates, self._loan_dates
        loan_id, customer, status = self._loan_id, self._customer, self._status
        day, whole, fraction = self._day, self._whole, self._fraction
        return [
            f"{loan_id[i]},{head[customer[i]]},{status[i]},{dates[customer[i]]},"
            f"{loan_dates[day[i]]},{whole[i]}.{fraction[i]:012d}"
            for i in loan_indices
        ]

    def row(self, loan_index: int) -> str:
        return self.rows([loan_index])[0]
