"""Logs and metrics: Powertools for AWS Lambda ``Logger`` and ``Metrics``, plus the prediction log.

* Prediction log (docs/contracts/prediction-log.md): one JSON object per prediction on
  **stdout**, data for risk-monitoring rather than a diagnostic, so it is written as the
  contract's record and nothing else (no logger keys around it).
* Application logs: Powertools ``Logger`` (JSON) on **stderr**; the package's own module loggers
  share its handler. They never carry a raw customer id or bound SQL parameters.
* Metrics: Powertools ``Metrics`` (CloudWatch embedded metric format on stdout), dimensions
  ``service`` and ``function_version``. The Lambda handler publishes them after every
  invocation (``log_metrics``); a long-running server every ``metrics_flush_interval_seconds``,
  at shutdown, and whenever Powertools' own 100-value limit is reached.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

PACKAGE_LOGGER = "inference_service"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the ``sys.stderr`` of the moment a record is emitted, not of start-up."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


_loggers: dict[str, Logger] = {}


def configure_logging(service: str, level: str) -> Logger:
    """Powertools JSON logs on stderr for the service and every ``inference_service`` logger.

    One Powertools ``Logger`` per service and process (a second instance on the same logger
    would have no formatter of its own); later calls only change the level.
    """
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    logger = _loggers.get(service)
    if logger is None:
        logger = _loggers[service] = Logger(service=service, logger_handler=_StderrHandler())
        logging.getLogger(PACKAGE_LOGGER)  # registered, so its children share the handler
    logger.setLevel(level)
    copy_config_to_registered_loggers(source_logger=logger, include={PACKAGE_LOGGER})
    return logger


def build_metrics(namespace: str, service: str, function_version: str) -> Metrics:
    metrics = Metrics(namespace=namespace, service=service)
    # Powertools keeps dimensions per process: set once (the handler and the app share them).
    if metrics.default_dimensions.get("function_version") != function_version:
        metrics.set_default_dimensions(function_version=function_version)
    return metrics


class ServiceMetrics:
    """The service's metric names and units in one place (the README lists them)."""

    def __init__(self, metrics: Metrics, model_version: str) -> None:
        self.metrics = metrics
        self.model_version = model_version

    def _add(self, name: str, unit: MetricUnit, value: float) -> None:
        self.metrics.add_metric(name=name, unit=unit, value=value)

    def predictions(self, latency_ms: float, count: int, positives: int) -> None:
        self._add("Predictions", MetricUnit.Count, count)
        self._add("PositiveDecisions", MetricUnit.Count, positives)
        self._add("PredictionLatency", MetricUnit.Milliseconds, latency_ms)
        # Searchable in the EMF log documents; not a dimension, so alarms need not know it.
        self.metrics.add_metadata(key="model_version", value=self.model_version)

    def store_unavailable(self) -> None:
        self._add("PredictionErrors", MetricUnit.Count, 1)
        self._add("StoreUnavailable", MetricUnit.Count, 1)

    def corrupt_rows(self, count: int) -> None:
        self._add("PredictionErrors", MetricUnit.Count, count)
        self._add("CorruptFeatureRows", MetricUnit.Count, count)

    def flush(self) -> None:
        """Publish what is pending (nothing at all when no metric was recorded)."""
        if self.metrics.metric_set:
            self.metrics.flush_metrics()


def log_prediction(
    *,
    request_id: str,
    customer_ref: str,
    model_version: str,
    as_of: str,
    store_run_id: str,
    features: dict[str, float | int | None],
    probability: float,
    prediction: int,
    threshold: float,
    latency_ms: float,
) -> None:
    """Write one prediction line to stdout, flushed so a frozen Lambda holds no partial record."""
    line = orjson.dumps(
        {
            "event": "prediction",
            "timestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
            "request_id": request_id,
            "customer_ref": customer_ref,
            "model_version": model_version,
            "as_of": as_of,
            "store_run_id": store_run_id,
            "features": features,
            "probability": probability,
            "prediction": prediction,
            "threshold": threshold,
            "latency_ms": round(latency_ms, 3),
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )
    stream = sys.stdout
    stream.write(line.decode())
    stream.flush()
