"""Metrics (Powertools EMF) and application logs (Powertools Logger), read as CloudWatch would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inference_service.observability import ServiceMetrics, build_metrics


def _emf_documents(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def _values(document: dict[str, Any], name: str) -> list[float]:
    value = document.get(name, [])
    return value if isinstance(value, list) else [value]


@pytest.fixture
def service_metrics() -> ServiceMetrics:
    metrics = build_metrics("CreditRiskTest", "svc", function_version="12")
    metrics.clear_metrics()
    return ServiceMetrics(metrics, model_version="3")


def test_metrics_carry_service_and_function_version(
    service_metrics: ServiceMetrics, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    service_metrics.predictions(2.5, count=1, positives=1)
    service_metrics.predictions(1.5, count=3, positives=0)
    service_metrics.store_unavailable()
    service_metrics.corrupt_rows(2)
    assert _emf_documents(capsys.readouterr().out) == []  # nothing before a flush

    service_metrics.flush()
    (document,) = _emf_documents(capsys.readouterr().out)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "CreditRiskTest"
    assert sorted(directive["Dimensions"][0]) == ["function_version", "service"]
    assert (document["service"], document["function_version"]) == ("svc", "12")
    assert document["model_version"] == "3"  # metadata, not a dimension
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert units == {
        "Predictions": "Count",
        "PositiveDecisions": "Count",
        "PredictionLatency": "Milliseconds",
        "PredictionErrors": "Count",
        "StoreUnavailable": "Count",
        "CorruptFeatureRows": "Count",
    }
    assert sum(_values(document, "Predictions")) == 4
    assert sum(_values(document, "PositiveDecisions")) == 1
    assert _values(document, "PredictionLatency") == [2.5, 1.5]
    assert sum(_values(document, "PredictionErrors")) == 3
    assert sum(_values(document, "CorruptFeatureRows")) == 2

    service_metrics.flush()  # nothing new: no empty document
    assert _emf_documents(capsys.readouterr().out) == []


def test_a_full_document_is_published_early(
    service_metrics: ServiceMetrics, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    for i in range(250):
        service_metrics.predictions(float(i), count=1, positives=i % 5 == 0)
    service_metrics.flush()
    documents = _emf_documents(capsys.readouterr().out)
    # EMF allows at most 100 values per metric in one document; Powertools publishes then.
    latencies = [v for d in documents for v in _values(d, "PredictionLatency")]
    assert latencies == [float(i) for i in range(250)]
    assert max(len(_values(d, "PredictionLatency")) for d in documents) <= 100
    assert sum(sum(_values(d, "PositiveDecisions")) for d in documents) == 50


def test_server_shutdown_publishes_pending_metrics(
    make_client: Any, capsys: pytest.CaptureFixture[str], sqlite_store: Path
) -> None:
    client = make_client()
    client.post("/predict", json={"id": "1"})
    client.post("/predict", json={"id": "404404"})  # unknown: no prediction metric
    capsys.readouterr()
    client.__exit__(None, None, None)
    (document,) = _emf_documents(capsys.readouterr().out)
    assert sum(_values(document, "Predictions")) == 1
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CreditRisk"
    assert document["function_version"] == "local"


def test_application_logs_are_powertools_json_on_stderr(
    make_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    make_client()  # start-up logs the loaded model
    err = capsys.readouterr().err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    (loaded,) = [r for r in records if "loaded model" in r["message"]]
    assert loaded["level"] == "INFO"
    assert loaded["service"] == "inference-service"
    assert loaded["name"] == "inference_service.resources"
    assert "timestamp" in loaded
    assert "location" in loaded
