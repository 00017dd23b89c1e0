"""The last monitoring verdict: the newest `<reports>/<yyyymmddThhmmssZ>/report.json`.

risk-monitoring writes each run's reports under a folder named by its evaluation time (its
Lambda's `report_prefix`; locally `risk-monitor run --report-json <reports>/<time>/report.json`),
JSON last, so a folder whose report.json exists is complete. Folders are named so that the
lexical order is the time order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from platform_status import storage

_RUN_FOLDER = re.compile(r"^\d{8}T\d{6}Z$")


@dataclass(frozen=True)
class MonitoringVerdict:
    uri: str
    status: str  # ok | warn | alert
    alerts: tuple[str, ...]
    evaluated_at: str
    model_version: str | None


def last_verdict(reports: str) -> MonitoringVerdict | None:
    folders = [name for name in storage.child_folders(reports) if _RUN_FOLDER.match(name)]
    for folder in reversed(folders):
        uri = storage.join(reports, folder, "report.json")
        report = storage.read_json(uri)
        if report is None:
            continue  # a run still writing (or one that failed before its JSON)
        model = report.get("model") or {}
        return MonitoringVerdict(
            uri=uri,
            status=str(report.get("status", "unknown")),
            alerts=tuple(str(alert) for alert in report.get("alerts") or ()),
            evaluated_at=str(report.get("now") or report.get("generated_at") or folder),
            model_version=None
            if model.get("model_version") is None
            else str(model["model_version"]),
        )
    return None
