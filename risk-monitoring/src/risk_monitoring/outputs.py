"""Writing a run's outputs: the JSON report, the HTML report and the EMF metric lines."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, TextIO

from risk_monitoring import storage
from risk_monitoring.emf import build_emf_documents, emf_lines
from risk_monitoring.html_report import render_html
from risk_monitoring.runner import MonitoringRun


def _json_safe(value: Any) -> Any:
    """NaN/inf become null: the report must be strict JSON for any consumer."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def report_json(run: MonitoringRun) -> str:
    return json.dumps(_json_safe(run.report), indent=2, allow_nan=False)


def write_reports(run: MonitoringRun, json_uri: str | None, html_uri: str | None) -> None:
    # HTML first, JSON last: a consumer polling for report.json finds a complete pair.
    if html_uri:
        storage.write_bytes(
            html_uri, render_html(run.report).encode("utf-8"), "text/html; charset=utf-8"
        )
    if json_uri:
        storage.write_bytes(json_uri, report_json(run).encode("utf-8"), "application/json")


def emit_metrics(run: MonitoringRun, namespace: str, stream: TextIO) -> list[dict[str, Any]]:
    timestamp = datetime.fromisoformat(run.report["now"])
    documents = build_emf_documents(run.report, run.results, namespace, timestamp)
    for line in emf_lines(documents):
        stream.write(line + "\n")
    stream.flush()
    return documents
