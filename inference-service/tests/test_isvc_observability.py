"""CloudWatch EMF metrics via Powertools, outside Lambda as well as inside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inference_service.observability import MetricsRecorder


def _emf_documents(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def _values(document: dict[str, Any], name: str) -> list[float]:
    value = document.get(name, [])
    return value if isinstance(value, list) else [value]


def test_interval_batches_metrics_until_flush(capsys: pytest.CaptureFixture[str]) -> None:
    recorder = MetricsRecorder("CreditRiskTest", "svc", "3", flush_interval_seconds=300)
    capsys.readouterr()
    recorder.record_prediction(2.5, positive=True)
    recorder.record_prediction(1.5, positive=False)
    recorder.record_error("store_unavailable")
    assert _emf_documents(capsys.readouterr().out) == []

    recorder.flush()
    (document,) = _emf_documents(capsys.readouterr().out)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "CreditRiskTest"
    assert sorted(directive["Dimensions"][0]) == ["model_version", "service"]
    assert document["model_version"] == "3"
    assert document["service"] == "svc"
    assert _values(document, "Predictions") == [2.0]
    assert _values(document, "PredictionLatency") == [2.5, 1.5]
    assert _values(document, "PositiveDecisions") == [1.0]
    assert _values(document, "PredictionErrors") == [1.0]
    assert _values(document, "StoreUnavailable") == [1.0]

    recorder.flush()  # nothing new: no empty document, no warning
    assert _emf_documents(capsys.readouterr().out) == []


def test_a_full_document_is_flushed_early(capsys: pytest.CaptureFixture[str]) -> None:
    recorder = MetricsRecorder("CreditRiskTest", "svc", "3", flush_interval_seconds=300)
    capsys.readouterr()
    for i in range(250):
        recorder.record_prediction(float(i), positive=i % 5 == 0)
    recorder.flush()
    documents = _emf_documents(capsys.readouterr().out)
    # EMF allows at most 100 values per metric in one document.
    assert [len(_values(d, "PredictionLatency")) for d in documents] == [100, 100, 50]
    assert [_values(d, "Predictions")[0] for d in documents] == [100.0, 100.0, 50.0]
    assert sum(_values(d, "PositiveDecisions")[0] for d in documents) == 50.0
    latencies = [v for d in documents for v in _values(d, "PredictionLatency")]
    assert latencies == [float(i) for i in range(250)]


def test_zero_interval_flushes_every_request(capsys: pytest.CaptureFixture[str]) -> None:
    recorder = MetricsRecorder("CreditRiskTest", "svc", "3", flush_interval_seconds=0)
    capsys.readouterr()
    recorder.record_prediction(1.0, positive=False)
    recorder.record_prediction(1.0, positive=False)
    assert len(_emf_documents(capsys.readouterr().out)) == 2


def test_server_shutdown_flushes_pending_metrics(
    make_client: Any, capsys: pytest.CaptureFixture[str], sqlite_store: Path
) -> None:
    client = make_client()
    client.post("/predict", json={"id": "1"})
    client.post("/predict", json={"id": "404404"})  # unknown: no prediction metric
    capsys.readouterr()
    client.__exit__(None, None, None)
    (document,) = _emf_documents(capsys.readouterr().out)
    assert _values(document, "Predictions") == [1.0]
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CreditRisk"
