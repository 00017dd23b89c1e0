"""Scheduled Lambda (or Glue Python shell) entry point: ``risk_monitoring.lambda_handler.handler``.

Event keys (each may instead come from the environment variable MONITOR_<KEY IN CAPITALS>):
  logs                 s3:// URI or list of URIs; a prefix ending in '/' = all its log objects
  logs_window          optional "previous_day": read <logs prefix><yesterday, UTC>/ only (the
                       daily layout of the prediction-log Firehose stream); default "all"
  metadata             s3:// URI of the bundle's metadata.json
  outcomes             optional s3:// URI of the delayed outcomes CSV
  online_store_url     optional SQLAlchemy URL of the online store (feature-store age)
  recompute_store_url  optional store recomputed as of the served date (skew check)
  store_secret_arn     optional Secrets Manager secret whose username/password are filled into
                       both store URLs (which then carry host, database and TLS only)
  report_prefix        s3://bucket/prefix/ for <prefix>/<timestamp>/report.json + report.html
  now                  optional ISO-8601 evaluation time (event only)
  fail_on_alert        raise after writing outputs when a check alerts (event only)

EMF lines go to stdout, where CloudWatch Logs turns them into metrics. S3 and Secrets Manager are
reached through boto3, which honours AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import Any

from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.outputs import emit_metrics, write_reports
from risk_monitoring.runner import MonitorInputs, run_monitoring


class MonitoringAlertError(RuntimeError):
    """Raised (when asked) so an orchestrator's error handling sees the alert."""


def _setting(event: dict[str, Any], key: str) -> Any:
    value = event.get(key)
    return value if value not in (None, "") else os.environ.get(f"MONITOR_{key.upper()}") or None


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    event = event or {}
    logs = _setting(event, "logs")
    metadata = _setting(event, "metadata")
    if not logs or not metadata:
        raise InputError("event needs 'logs' and 'metadata' (or MONITOR_LOGS / MONITOR_METADATA)")
    now_text = event.get("now")
    now = datetime.fromisoformat(now_text) if now_text else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    settings = MonitorSettings()
    inputs = MonitorInputs(
        logs=[logs] if isinstance(logs, str) else list(logs),
        metadata=metadata,
        outcomes=_setting(event, "outcomes"),
        online_store_url=_setting(event, "online_store_url"),
        recompute_store_url=_setting(event, "recompute_store_url"),
        now=now,
        logs_window=_setting(event, "logs_window"),
        store_secret_arn=_setting(event, "store_secret_arn"),
    )
    run = run_monitoring(inputs, settings)
    report_uri = html_uri = None
    prefix = _setting(event, "report_prefix")
    if prefix:
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        base = f"{prefix.rstrip('/')}/{stamp}"
        report_uri, html_uri = f"{base}/report.json", f"{base}/report.html"
        write_reports(run, report_uri, html_uri)
    emit_metrics(run, settings.metric_namespace, sys.stdout)
    response = {
        "status": run.report["status"],
        "exit_code": run.exit_code,
        "alerts": run.report["alerts"],
        "report_uri": report_uri,
        "html_uri": html_uri,
        "predictions": run.report["input"]["predictions_accepted"],
    }
    if run.exit_code and event.get("fail_on_alert"):
        raise MonitoringAlertError(f"monitoring alerts: {', '.join(run.report['alerts'])}")
    return response
