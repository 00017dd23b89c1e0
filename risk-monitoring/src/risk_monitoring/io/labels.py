"""Delayed labels of served predictions: the file ``risk-monitor outcomes`` writes
(docs/contracts/outcomes.md).

CSV with a header holding at least ``customer_ref``, ``request_id`` and ``status`` (0 or 1); a
label judges the prediction logged under that request id for that customer (a batch request
logs one prediction per customer under one request id). Rows with another status, no key or a
duplicate key are rejected and counted, never guessed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from risk_monitoring.errors import InputError

LABEL_COLUMNS = ("customer_ref", "request_id", "status")


@dataclass
class LabelIndex:
    status: dict[tuple[str, str], int] = field(default_factory=dict)
    rows_total: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    join_key: str = "request_id,customer_ref"


def parse_labels(text: str) -> LabelIndex:
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in LABEL_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"labels CSV needs the columns {', '.join(missing)}")
    index = LabelIndex()
    for row in reader:
        index.rows_total += 1
        status = (row["status"] or "").strip()
        key = ((row["request_id"] or "").strip(), (row["customer_ref"] or "").strip())
        if status not in ("0", "1"):
            index.rejected["bad_status"] += 1
        elif not all(key):
            index.rejected["missing_key"] += 1
        elif key in index.status:
            index.rejected["duplicate_key"] += 1
        else:
            index.status[key] = int(status)
    return index
