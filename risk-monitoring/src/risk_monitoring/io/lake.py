"""The feature pipeline's published online rows of one run (lake layout: feature-pipeline README).

``<lake>/run=<run_id>/online/parquet/`` holds the rows exactly as the run published them to the
store (one per customer); a run counts only once its ``_SUCCESS`` manifest exists. Rows are keyed
here by ``customer_ref`` so they meet the prediction logs, which carry no raw id.
"""

from __future__ import annotations

import io
import re
from typing import Any

from risk_monitoring.io import storage
from risk_monitoring.io.customer_ref import CustomerRefs

# Run ids come from log lines; only plain names may become part of a path.
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class RunUnavailableError(Exception):
    """The run's online rows cannot be read (no such run, no _SUCCESS, unusable files)."""


def run_prefix(lake: str, run_id: str) -> str:
    if not _RUN_ID.match(run_id) or ".." in run_id:
        raise RunUnavailableError(f"store_run_id {run_id[:40]!r} is not a run id")
    return f"{lake.rstrip('/')}/run={run_id}/"


def published_rows(
    lake: str, run_id: str, refs: CustomerRefs, wanted: set[str], columns: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """``columns`` of the online rows of ``run_id`` whose customer_ref is in ``wanted``."""
    import pyarrow.parquet as pq  # deferred: only the skew check reads Parquet

    prefix = run_prefix(lake, run_id)
    if not storage.exists(prefix + "_SUCCESS"):
        raise RunUnavailableError(f"run {run_id} has no _SUCCESS under {prefix}")
    files = storage.list_files(prefix + "online/parquet/", (".parquet",))
    if not files:
        raise RunUnavailableError(f"run {run_id} has no online/parquet/ files")
    found: dict[str, dict[str, Any]] = {}
    for stored in files:
        try:
            payload = io.BytesIO(storage.read_bytes(stored.uri))
            table = pq.read_table(payload, columns=["id", *columns])
        except Exception as error:  # Arrow raises several types for unreadable/short files
            raise RunUnavailableError(f"cannot read {stored.uri}: {error}") from error
        data = table.to_pydict()
        for i, customer_id in enumerate(data["id"]):
            ref = refs(customer_id)
            if ref in wanted:
                found[ref] = {name: data[name][i] for name in columns}
    return found
