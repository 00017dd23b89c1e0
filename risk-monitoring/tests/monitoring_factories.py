"""Synthetic training distribution, serving bundle metadata and prediction logs for the tests.

The reference statistics are built here with numpy.quantile + numpy.histogram, independently of
the code under test, the way the training job documents it (contract 5).
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = [
    ("nb_previous_loans", "int"),
    ("avg_amount_loans_previous", "float"),
    ("age", "int"),
    ("years_on_the_job", "int"),
    ("flag_own_car", "int"),
]
NAMES = [name for name, _ in FEATURES]
LOG_DAY = datetime(2026, 11, 25, tzinfo=UTC)


def draw_features(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Training-like features; NaN stands for null."""
    nb = rng.poisson(10, n).astype(float)
    avg = rng.lognormal(math.log(120), 0.2, n)
    avg[nb == 0] = np.nan
    age = rng.integers(21, 70, n).astype(float)
    years = np.minimum(rng.geometric(0.15, n) - 1, 40).astype(float)
    years[rng.random(n) < 0.17] = np.nan
    car = (rng.random(n) < 0.4).astype(float)
    return {
        "nb_previous_loans": nb,
        "avg_amount_loans_previous": avg,
        "age": age,
        "years_on_the_job": years,
        "flag_own_car": car,
    }


def reference_statistics(sample: dict[str, np.ndarray], n_bins: int = 10) -> dict[str, Any]:
    stats = {}
    for name, values in sample.items():
        present = values[~np.isnan(values)]
        edges = np.quantile(present, np.linspace(0, 1, n_bins + 1))
        counts, _ = np.histogram(present, bins=edges)
        stats[name] = {
            "bin_edges": edges.tolist(),
            "counts": counts.tolist(),
            "null_share": float(np.isnan(values).mean()),
            "mean": float(present.mean()),
            "count": len(values),
        }
    return stats


def metadata_document(
    seed: int = 0,
    n: int = 50_000,
    created_at: datetime | None = None,
    roc_auc: float | None = 0.75,
) -> dict[str, Any]:
    sample = draw_features(np.random.default_rng(seed), n)
    return {
        "schema_version": 1,
        "model_name": "credit-risk",
        "model_version": "3",
        "run_id": "run-abc",
        "created_at": (created_at or LOG_DAY - timedelta(days=10)).isoformat(),
        "features": [{"name": name, "dtype": dtype} for name, dtype in FEATURES],
        "onnx_input_name": "features",
        "onnx_probability_output": "probabilities",
        "threshold": 0.5,
        "training_data_fingerprint": "sha256:test",
        "positive_rate": 0.2,
        "reference_statistics": reference_statistics(sample),
        "baseline_values": {name: 0.0 for name in NAMES},
        "metrics": {} if roc_auc is None else {"roc_auc": roc_auc},
    }


def risk_probability(features: dict[str, np.ndarray]) -> np.ndarray:
    """A fixed scoring rule standing in for the model: older, richer history = lower risk."""
    z = (
        -1.0
        - 0.08 * (np.nan_to_num(features["nb_previous_loans"], nan=0) - 10)
        - 0.03 * (features["age"] - 45)
    )
    return 1 / (1 + np.exp(-z))


def _json_value(value: float, dtype: str) -> Any:
    if math.isnan(value):
        return None
    return int(value) if dtype == "int" else float(value)


def prediction_records(
    features: dict[str, np.ndarray],
    *,
    seed: int = 0,
    start: datetime = LOG_DAY,
    spacing_seconds: float = 1.0,
    model_version: str = "3",
    as_of: str = "2026-11-24",
    latency_ms: np.ndarray | None = None,
    customer_ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed + 1)
    n = len(features[NAMES[0]])
    probabilities = risk_probability(features)
    latencies = latency_ms if latency_ms is not None else rng.lognormal(math.log(12), 0.3, n)
    dtypes = dict(FEATURES)
    records = []
    for i in range(n):
        customer = customer_ids[i] if customer_ids is not None else 5_000_000 + i
        probability = float(probabilities[i])
        records.append(
            {
                "event": "prediction",
                "timestamp": (start + timedelta(seconds=i * spacing_seconds))
                .isoformat()
                .replace("+00:00", "Z"),
                "request_id": f"req-{seed}-{i}",
                "customer_id": str(customer),
                "model_version": model_version,
                "as_of": as_of,
                "features": {
                    name: _json_value(float(features[name][i]), dtypes[name]) for name in NAMES
                },
                "probability": probability,
                "prediction": int(probability >= 0.5),
                "threshold": 0.5,
                "latency_ms": float(latencies[i]),
            }
        )
    return records


def write_lines(path: Path, records: list[dict[str, Any]], extra_lines: list[str] = ()) -> Path:  # type: ignore[assignment]
    lines = [json.dumps(record) for record in records] + list(extra_lines)
    payload = "\n".join(lines) + "\n"
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(payload)
    else:
        path.write_text(payload, encoding="utf-8")
    return path


def write_metadata(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


Mutator = Callable[[dict[str, np.ndarray]], None]
