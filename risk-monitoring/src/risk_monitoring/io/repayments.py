"""The lender's repayment file (docs/contracts/outcomes.md): which loans defaulted.

CSV with a header holding at least ``customer_id`` (the lender's integer customer id),
``application_date`` (YYYY-MM-DD, the day the loan was applied for) and ``defaulted`` (0 or 1);
other columns are ignored. Each id is replaced by its ``customer_ref`` as the row is read, so no
raw id goes further than this module. Bad rows are rejected and counted by reason.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from risk_monitoring.errors import InputError
from risk_monitoring.io.customer_ref import CustomerRefs

REPAYMENT_COLUMNS = ("customer_id", "application_date", "defaulted")


@dataclass(frozen=True)
class Repayment:
    customer_ref: str
    application_date: date
    defaulted: int


@dataclass
class Repayments:
    rows: list[Repayment] = field(default_factory=list)
    rows_total: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def _repayment(row: dict[str, str], refs: CustomerRefs) -> Repayment | str:
    """The row, or the reason it is rejected."""
    defaulted = (row["defaulted"] or "").strip()
    if defaulted not in ("0", "1"):
        return "bad_defaulted"
    try:
        applied = date.fromisoformat((row["application_date"] or "").strip())
    except ValueError:
        return "bad_application_date"
    try:
        ref = refs(row["customer_id"] or "")
    except InputError:
        return "bad_customer_id"
    return Repayment(ref, applied, int(defaulted))


def parse_repayments(text: str, refs: CustomerRefs) -> Repayments:
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in REPAYMENT_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"repayment file needs the columns {', '.join(missing)}")
    parsed = Repayments()
    seen: set[tuple[str, date]] = set()
    for row in reader:
        parsed.rows_total += 1
        repayment = _repayment(row, refs)
        if isinstance(repayment, str):
            parsed.rejected[repayment] += 1
            continue
        key = (repayment.customer_ref, repayment.application_date)
        if key in seen:
            parsed.rejected["duplicate_loan"] += 1
            continue
        seen.add(key)
        parsed.rows.append(repayment)
    if not parsed.rows:
        raise InputError(f"no usable row in the repayment file (rejected: {dict(parsed.rejected)})")
    return parsed
