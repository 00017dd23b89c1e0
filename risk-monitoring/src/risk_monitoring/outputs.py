"""Writing a run's outputs: the JSON report (strict JSON) and the HTML report."""

from __future__ import annotations

import json
import math
from typing import Any

from risk_monitoring.html_report import render_html
from risk_monitoring.io import storage


def _json_safe(value: Any) -> Any:
    """NaN/inf become null: the report must be strict JSON for any consumer."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(_json_safe(report), indent=2, allow_nan=False)


def write_outcomes(
    report: dict[str, Any], labels_csv: str, json_uri: str | None, labels_uri: str | None
) -> None:
    # Labels first, report last: the report's existence says the pair is complete.
    if labels_uri:
        storage.write_bytes(labels_uri, labels_csv.encode("utf-8"), "text/csv")
    if json_uri:
        storage.write_bytes(json_uri, report_json(report).encode("utf-8"), "application/json")


def write_reports(report: dict[str, Any], json_uri: str | None, html_uri: str | None) -> None:
    # HTML first, JSON last: a consumer polling for report.json finds a complete pair.
    if html_uri:
        html = render_html(report).encode("utf-8")
        storage.write_bytes(html_uri, html, "text/html; charset=utf-8")
    if json_uri:
        storage.write_bytes(json_uri, report_json(report).encode("utf-8"), "application/json")
