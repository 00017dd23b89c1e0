"""Scheduled Lambda entry point: ``risk_monitoring.lambda_handler.handler``.

``command`` selects the job ("run", the default, or "outcomes"); every other key may instead come
from the environment variable MONITOR_<KEY IN CAPITALS> (``now`` and ``fail_on_alert``: event
only). The README lists the keys. Reports go to ``<report_prefix>/<yyyymmddThhmmssZ>/``, metrics
to stdout as EMF (CloudWatch Logs turns them into metrics), the job's own log lines through
Powertools Logger. S3, Secrets Manager and RDS tokens go through boto3 clients that honour
AWS_ENDPOINT_URL, AWS_PROFILE and AWS_REGION (io/aws.py).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.metrics import SERVICE, publish
from risk_monitoring.outcomes import OutcomesInputs, run_outcomes
from risk_monitoring.outputs import write_outcomes, write_reports
from risk_monitoring.runner import MonitorInputs, evaluation_time, run_monitoring

logger = Logger(service=SERVICE)


class MonitoringAlertError(RuntimeError):
    """Raised (when asked) so an orchestrator's error handling sees the alert."""


def _setting(event: dict[str, Any], key: str, default: Any = None) -> Any:
    value = event.get(key)
    if value in (None, ""):
        value = os.environ.get(f"MONITOR_{key.upper()}") or default
    return value


def _required(event: dict[str, Any], key: str) -> Any:
    value = _setting(event, key)
    if not value:
        raise InputError(f"event needs '{key}' (or MONITOR_{key.upper()})")
    return value


def _logs(event: dict[str, Any]) -> list[str]:
    logs = _required(event, "logs")
    return [logs] if isinstance(logs, str) else list(logs)


def _report_base(event: dict[str, Any], now: datetime) -> str | None:
    prefix = _setting(event, "report_prefix")
    return f"{prefix.rstrip('/')}/{now.strftime('%Y%m%dT%H%M%SZ')}" if prefix else None


def _run(event: dict[str, Any], now: datetime, settings: MonitorSettings) -> dict[str, Any]:
    inputs = MonitorInputs(
        logs=_logs(event),
        metadata=_required(event, "metadata"),
        labels=_setting(event, "labels"),
        online_store_url=_setting(event, "online_store_url"),
        store_auth=_setting(event, "store_auth", "password"),
        lake=_setting(event, "lake"),
        now=now,
        logs_window=_setting(event, "logs_window", "all"),
    )
    run = run_monitoring(inputs, settings)
    base = _report_base(event, now)
    uris = (f"{base}/report.json", f"{base}/report.html") if base else (None, None)
    write_reports(run.report, *uris)
    publish(run.report, settings.metric_namespace)
    return {
        "predictions": run.report["input"]["predictions_accepted"],
        "report_uri": uris[0],
        "html_uri": uris[1],
        "report": run.report,
    }


def _outcomes(event: dict[str, Any], now: datetime, settings: MonitorSettings) -> dict[str, Any]:
    base = _report_base(event, now)
    inputs = OutcomesInputs(
        repayments=_required(event, "repayments"),
        logs=_logs(event),
        metadata=_required(event, "metadata"),
        logs_window=_setting(event, "logs_window", "all"),
        labels_out=f"{base}/labels.csv" if base else None,
        now=now,
    )
    result = run_outcomes(inputs, settings)
    report_uri = f"{base}/outcomes.json" if base else None
    write_outcomes(result.report, result.labels_csv, report_uri, inputs.labels_out)
    publish(result.report, settings.metric_namespace)
    return {
        "labelled": result.report["checks"]["quality"]["details"]["matched"],
        "report_uri": report_uri,
        "labels_uri": inputs.labels_out,
        "report": result.report,
    }


def _now(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError as error:
        raise InputError(f"event 'now' {text!r} is not ISO-8601") from error


# Keys of earlier events, refused with the way forward rather than silently ignored.
_RETIRED_KEYS = {
    "store_secret_arn": "no password is read any more: name the database role in "
    "online_store_url and set store_auth=iam (docs/database-access.md)",
    "outcomes": "delayed labels are now the 'labels' file that the 'outcomes' command writes "
    "from the lender's repayment file (docs/contracts/outcomes.md)",
    "recompute_store_url": "skew now compares served rows with the lake: set 'lake'",
}


@logger.inject_lambda_context
def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    event = event or {}
    for key, way_forward in _RETIRED_KEYS.items():
        if event.get(key) or os.environ.get(f"MONITOR_{key.upper()}"):
            raise InputError(f"event key {key!r} is retired: {way_forward}")
    now = evaluation_time(_now(event.get("now")))
    command = event.get("command", "run")
    jobs = {"run": _run, "outcomes": _outcomes}
    if command not in jobs:
        raise InputError(f"unknown command {command!r}: expected one of {', '.join(jobs)}")
    result = jobs[command](event, now, MonitorSettings())
    report = result.pop("report")
    response = {
        "command": command,
        "status": report["status"],
        "exit_code": report["exit_code"],
        "alerts": report["alerts"],
        **result,
    }
    logger.info("monitoring job finished", extra=response)
    if report["exit_code"] and event.get("fail_on_alert"):
        raise MonitoringAlertError(f"monitoring alerts: {', '.join(report['alerts'])}")
    return response
