"""Delayed outcomes: which served predictions turned out positive, weeks later.

CSV with a header. Join key, decided by the header:
- ``request_id`` column present: outcomes join predictions by ``request_id`` and
  ``customer_id`` (exact decision; a ``/predict/batch`` request logs one prediction per customer
  under one request id, so the request id alone is not unique);
- otherwise ``customer_id`` and ``as_of`` (YYYY-MM-DD): the outcome of the loan the customer
  applied for with features as of that date. Several predictions for one key (retries) count once:
  the last one logged wins.
``status`` must be 0 or 1; other rows are rejected and counted, never guessed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from risk_monitoring.errors import InputError


@dataclass
class OutcomeIndex:
    by_request_id: bool
    status: dict[Any, int] = field(default_factory=dict)
    rows_total: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def join_key(self) -> str:
        return "request_id,customer_id" if self.by_request_id else "customer_id,as_of"

    def key_of(self, record: dict[str, Any]) -> Any:
        if self.by_request_id:
            return (record.get("request_id"), str(record.get("customer_id")))
        return (str(record.get("customer_id")), record.get("as_of"))


def parse_outcomes(text: str) -> OutcomeIndex:
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or [])
    if "status" not in header:
        raise InputError("outcomes CSV needs a 'status' column")
    if "request_id" in header:
        if "customer_id" not in header:
            raise InputError(
                "outcomes CSV with 'request_id' also needs 'customer_id': a batch request "
                "answers several customers under one request id"
            )
        index = OutcomeIndex(by_request_id=True)
    elif {"customer_id", "as_of"} <= header:
        index = OutcomeIndex(by_request_id=False)
    else:
        raise InputError("outcomes CSV needs 'request_id' or both 'customer_id' and 'as_of'")
    for row in reader:
        index.rows_total += 1
        status_text = (row.get("status") or "").strip()
        if status_text not in ("0", "1"):
            index.rejected["bad_status"] += 1
            continue
        if index.by_request_id:
            request_id = (row.get("request_id") or "").strip()
            customer = (row.get("customer_id") or "").strip()
            if not request_id or not customer:
                index.rejected["missing_key"] += 1
                continue
            key: Any = (request_id, customer)
        else:
            customer = (row.get("customer_id") or "").strip()
            as_of = (row.get("as_of") or "").strip()
            if not customer or len(as_of) != 10:
                index.rejected["missing_key"] += 1
                continue
            key = (customer, as_of)
        if key in index.status:
            index.rejected["duplicate_key"] += 1
            continue
        index.status[key] = int(status_text)
    return index
