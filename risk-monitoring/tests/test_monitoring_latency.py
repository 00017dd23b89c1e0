from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from monitoring_factories import draw_features, prediction_records, write_lines

from risk_monitoring.aggregation.latency_histogram import (
    LATENCY_EDGES_MS,
    histogram_quantile,
    latency_bins,
)
from risk_monitoring.runner import MonitorInputs, run_monitoring

NOW = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_histogram_quantile_is_within_the_documented_error(q: float) -> None:
    latencies = np.random.default_rng(4).lognormal(np.log(20), 0.8, 200_000)
    counts = np.bincount(latency_bins(latencies), minlength=len(LATENCY_EDGES_MS) - 1)
    estimate = histogram_quantile(counts, q, latencies.min(), latencies.max())
    assert estimate == pytest.approx(np.quantile(latencies, q), rel=0.012)


def test_latency_limits_per_model_version(tmp_path: Path, metadata_path: Path) -> None:
    rng = np.random.default_rng(9)
    fast = prediction_records(
        draw_features(rng, 500), seed=1, model_version="3", latency_ms=rng.uniform(5, 15, 500)
    )
    slow_latencies = rng.uniform(5, 15, 500)
    slow_latencies[:20] = 900.0  # 4 % of requests take 0.9 s: p99 breaks, p50 does not
    slow = prediction_records(
        draw_features(rng, 500), seed=2, model_version="4", latency_ms=slow_latencies
    )
    logs = write_lines(tmp_path / "p.log", fast + slow)
    run = run_monitoring(MonitorInputs(logs=[str(logs)], metadata=str(metadata_path), now=NOW))
    check = run.report["checks"]["latency"]
    versions = check["details"]["versions"]
    assert check["status"] == "alert"
    assert versions["3"]["p99"] < 15.5
    assert versions["4"]["p99"] == pytest.approx(900.0, rel=0.02)
    assert versions["4"]["p50"] < 15.5
    assert "4 p99" in check["summary"]
    assert "3 p99" not in check["summary"]
    assert run.exit_code == 9
    assert json.loads(json.dumps(run.report["versions"]))["4"]["count"] == 500
