"""``risk-monitor outcomes``: the lender's repayment file -> delayed labels -> online quality.

A loan is judged by **the latest prediction for its customer made on or before the application
date (UTC day of the prediction's timestamp) and at most ``outcome_match_days`` days before it**;
a prediction judges at most one loan (loans are matched in application-date order, each taking
the latest eligible prediction not yet taken). Matching happens on ``customer_ref``: the ids of
the repayment file are pseudonymised with the same key as the prediction logs, and the labels
file written out carries no raw id. The matured window's ROC-AUC, calibration and default rate
are judged like the ``quality`` check of ``risk-monitor run`` and published as metrics.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from risk_monitoring.aggregation.lines import LineCounts
from risk_monitoring.checks.quality import LabelledPredictions, judge_quality
from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.io import storage
from risk_monitoring.io.customer_ref import load_customer_refs
from risk_monitoring.io.log_files import LogLines, day_prefixes
from risk_monitoring.io.metadata import load_metadata, read_metadata_text
from risk_monitoring.io.repayments import Repayment, Repayments, parse_repayments
from risk_monitoring.report import fingerprint, model_section, verdict
from risk_monitoring.runner import evaluation_time

LABEL_FIELDS = (
    "customer_ref",
    "request_id",
    "prediction_timestamp",
    "model_version",
    "probability",
    "application_date",
    "status",
)


@dataclass(frozen=True)
class ServedPrediction:
    timestamp: str
    day: date  # UTC day of the timestamp
    request_id: str
    model_version: str
    probability: float


@dataclass
class OutcomesInputs:
    repayments: str
    logs: list[str]
    metadata: str
    # "application_days": each log prefix ending in '/' is read for the days a judged loan's
    # prediction can fall on; "all": the logs as given.
    logs_window: str = "all"
    labels_out: str | None = None
    now: datetime | None = None


@dataclass
class OutcomesRun:
    report: dict[str, Any]
    labels_csv: str
    exit_code: int


def _served_prediction(record: dict[str, Any]) -> ServedPrediction | str:
    """The prediction of a wanted customer, or why it is rejected."""
    timestamp, probability = record.get("timestamp"), record.get("probability")
    if not isinstance(timestamp, str) or not isinstance(probability, int | float):
        return "wrong_type"
    try:
        day = date.fromisoformat(timestamp[:10])
    except ValueError:
        return "bad_timestamp"
    if not np.isfinite(probability):
        return "non_finite_probability"
    version, request_id = str(record.get("model_version")), str(record.get("request_id"))
    return ServedPrediction(timestamp, day, request_id, version, float(probability))


def collect_predictions(
    lines: Iterable[str], wanted: set[str], counts: LineCounts
) -> dict[str, list[ServedPrediction]]:
    """Predictions of the wanted customers, per customer_ref (other customers are only counted)."""
    found: dict[str, list[ServedPrediction]] = defaultdict(list)
    for line in lines:
        record = counts.prediction_event(line)
        if record is None:
            continue
        ref = record.get("customer_ref")
        if type(ref) is not str:
            counts.rejected["missing_customer_ref"] += 1
            continue
        prediction = _served_prediction(record) if ref in wanted else None
        if isinstance(prediction, str):
            counts.rejected[prediction] += 1
            continue
        counts.accepted += 1
        if prediction is not None:
            found[ref].append(prediction)
    return found


def match(
    repayments: list[Repayment],
    predictions: dict[str, list[ServedPrediction]],
    days: int,
) -> tuple[list[tuple[Repayment, ServedPrediction]], Counter[str]]:
    matched: list[tuple[Repayment, ServedPrediction]] = []
    unmatched: Counter[str] = Counter()
    taken: set[tuple[str, str]] = set()
    for loan in sorted(repayments, key=lambda r: (r.application_date, r.customer_ref)):
        earliest = loan.application_date - timedelta(days=days)
        eligible = [
            p
            for p in predictions.get(loan.customer_ref, [])
            if earliest <= p.day <= loan.application_date
        ]
        free = [p for p in eligible if (p.request_id, p.timestamp) not in taken]
        if not free:
            unmatched["prediction_already_used" if eligible else "no_prediction"] += 1
            continue
        chosen = max(free, key=lambda p: p.timestamp)
        taken.add((chosen.request_id, chosen.timestamp))
        matched.append((loan, chosen))
    return matched, unmatched


def labels_csv(matched: list[tuple[Repayment, ServedPrediction]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LABEL_FIELDS)
    for loan, prediction in matched:
        writer.writerow(
            [
                loan.customer_ref,
                prediction.request_id,
                prediction.timestamp,
                prediction.model_version,
                repr(prediction.probability),
                loan.application_date.isoformat(),
                loan.defaulted,
            ]
        )
    return buffer.getvalue()


def _log_files(
    inputs: OutcomesInputs, repayments: Repayments, days: int
) -> list[storage.StoredFile]:
    if inputs.logs_window == "all":
        return storage.expand_inputs(inputs.logs)
    if inputs.logs_window != "application_days":
        window = inputs.logs_window
        raise InputError(f"unknown logs window {window!r}: expected all or application_days")
    dates = [loan.application_date for loan in repayments.rows]
    first = min(dates) - timedelta(days=days)
    # A prediction made just before midnight can be delivered into the next day's prefix.
    last = max(dates) + timedelta(days=1)
    files = [
        stored
        for prefix in day_prefixes(inputs.logs, first, last)
        for stored in storage.list_files(prefix, storage.LOG_SUFFIXES)
    ]
    if not files:
        where = ", ".join(inputs.logs)
        raise InputError(f"no log objects for the application days under {where}")
    return files


def _quality_data(matched: list[tuple[Repayment, ServedPrediction]]) -> LabelledPredictions:
    return LabelledPredictions(
        labels=np.array([loan.defaulted for loan, _ in matched], dtype=np.int64),
        scores=np.clip(np.array([p.probability for _, p in matched], dtype=float), 0.0, 1.0),
        windows=np.array([loan.application_date.isoformat()[:7] for loan, _ in matched]),
        versions=np.array([p.model_version for _, p in matched]),
    )


def run_outcomes(inputs: OutcomesInputs, settings: MonitorSettings | None = None) -> OutcomesRun:
    settings = settings or MonitorSettings()
    inputs = replace(inputs, now=evaluation_time(inputs.now))
    metadata_text = read_metadata_text(inputs.metadata)
    metadata = load_metadata(metadata_text)
    repayments_text = storage.read_text(inputs.repayments)
    repayments = parse_repayments(repayments_text, load_customer_refs())
    files = _log_files(inputs, repayments, settings.outcome_match_days)
    lines, counts = LogLines(files), LineCounts()
    wanted = {loan.customer_ref for loan in repayments.rows}
    predictions = collect_predictions(lines, wanted, counts)
    matched, unmatched = match(repayments.rows, predictions, settings.outcome_match_days)
    details: dict[str, Any] = {
        "repayment_rows": repayments.rows_total,
        "repayment_rows_rejected": dict(repayments.rejected),
        "matched": len(matched),
        "unmatched": dict(unmatched),
        "matched_share": len(matched) / len(repayments.rows),
        "match_days": settings.outcome_match_days,
    }
    quality = judge_quality(_quality_data(matched), metadata.training_roc_auc, settings, details)
    report = {
        "kind": "outcomes",
        "now": inputs.now.isoformat() if inputs.now else None,
        **verdict([quality]),
        "model": model_section(metadata),
        "input": {
            "repayments": inputs.repayments,
            "repayments_fingerprint": fingerprint(repayments_text),
            "metadata": inputs.metadata,
            "metadata_fingerprint": fingerprint(metadata_text),
            "logs": inputs.logs,
            "logs_window": inputs.logs_window,
            "log_files": [stored.uri for stored in files],
            "logs_fingerprint": lines.fingerprint,
            "labels_out": inputs.labels_out,
            **counts.as_dict(),
        },
        "settings": settings.model_dump(),
    }
    return OutcomesRun(report, labels_csv(matched), report["exit_code"])
