"""Synthetic serving population, bundle metadata and prediction logs for the tests.

Everything here is written from the contracts (docs/contracts/serving-bundle.md,
prediction-log.md), independently of the code under test: the reference statistics come from
numpy.quantile + numpy.histogram and value counts, customer_ref from the standard library's hmac.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = [
    ("nb_previous_loans", "int", "numeric"),
    ("avg_amount_loans_previous", "float", "numeric"),
    ("age", "int", "numeric"),
    ("years_on_the_job", "int", "numeric"),
    ("flag_own_car", "int", "categorical"),
]
NAMES = [name for name, _, _ in FEATURES]
DTYPES = {name: dtype for name, dtype, _ in FEATURES}
LOG_DAY = datetime(2026, 11, 25, tzinfo=UTC)
REF_KEY = "test-customer-ref-key-0123456789abcdef"
STORE_RUN = "20261124T030000Z"


def customer_ref(customer_id: int | str, key: str = REF_KEY) -> str:
    digest = hmac.new(key.encode(), str(customer_id).encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def draw_features(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Features shaped like the online rows; NaN stands for null."""
    nb = rng.poisson(3, n).astype(float)
    avg = rng.lognormal(math.log(120), 0.2, n)
    avg[nb == 0] = np.nan
    age = rng.integers(21, 70, n).astype(float)
    years = np.minimum(rng.geometric(0.15, n) - 1, 40).astype(float)
    years[rng.random(n) < 0.17] = np.nan
    car = (rng.random(n) < 0.38).astype(float)
    return {
        "nb_previous_loans": nb,
        "avg_amount_loans_previous": avg,
        "age": age,
        "years_on_the_job": years,
        "flag_own_car": car,
    }


def reference_statistics(columns: dict[str, np.ndarray], n_bins: int = 10) -> dict[str, Any]:
    """Contract 5: numeric = quantile edges of the non-null values, duplicates removed, and
    numpy.histogram counts; categorical = value -> count; nulls counted apart."""
    stats: dict[str, Any] = {}
    for name, _, kind in FEATURES:
        values = np.asarray(columns[name], dtype=float)
        present = values[~np.isnan(values)]
        null_count = int(np.isnan(values).sum())
        if kind == "categorical":
            found, counts = np.unique(present, return_counts=True)
            by_value = {str(int(v)): int(c) for v, c in zip(found, counts, strict=True)}
            stats[name] = {"kind": kind, "counts": by_value, "null_count": null_count}
        else:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)))
            counts, _ = np.histogram(present, bins=edges)
            stats[name] = {
                "kind": kind,
                "bin_edges": edges.tolist(),
                "counts": counts.tolist(),
                "null_count": null_count,
            }
    return stats


def metadata_document(
    columns: dict[str, np.ndarray] | None = None,
    *,
    created_at: datetime | None = None,
    roc_auc: float | None = 0.75,
) -> dict[str, Any]:
    columns = columns if columns is not None else draw_features(np.random.default_rng(0), 20_000)
    created = created_at or LOG_DAY - timedelta(days=10)
    return {
        "schema_version": 2,
        "model_name": "credit-risk",
        "model_version": "3",
        "model_sha256": "0" * 64,
        "created_at": created.isoformat(),
        "trained_at": created.isoformat(),
        "features": [{"name": n, "dtype": d, "kind": k} for n, d, k in FEATURES],
        "threshold": 0.5,
        "positive_rate": 0.2,
        "reference_statistics": reference_statistics(columns),
        "reference_population": {
            "source": "online",
            "run_id": STORE_RUN,
            "as_of": "2026-11-14",
            "rows": len(columns[NAMES[0]]),
        },
        "test_metrics": {} if roc_auc is None else {"roc_auc": {"value": roc_auc}},
    }


def risk_probability(features: dict[str, np.ndarray]) -> np.ndarray:
    """A fixed scoring rule standing in for the model: older, richer history = lower risk."""
    z = (
        -1.0
        - 0.2 * (np.nan_to_num(features["nb_previous_loans"], nan=0) - 3)
        - 0.03 * (features["age"] - 45)
    )
    return 1 / (1 + np.exp(-z))


def json_value(value: float, dtype: str) -> Any:
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
    store_run_id: str = STORE_RUN,
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed + 1)
    n = len(features[NAMES[0]])
    probabilities = risk_probability(features)
    latencies = latency_ms if latency_ms is not None else rng.lognormal(math.log(12), 0.3, n)
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
                "customer_ref": customer_ref(customer),
                "store_run_id": store_run_id,
                "model_version": model_version,
                "as_of": as_of,
                "features": {
                    name: json_value(float(features[name][i]), DTYPES[name]) for name in NAMES
                },
                "probability": probability,
                "prediction": int(probability >= 0.5),
                "threshold": 0.5,
                "latency_ms": float(latencies[i]),
            }
        )
    return records


def write_lines(
    path: Path, records: list[dict[str, Any]], extra_lines: tuple[str, ...] = ()
) -> Path:
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


def emf_documents(stdout: str) -> list[dict[str, Any]]:
    """The EMF documents among stdout lines, single-value metric lists unwrapped."""
    documents = []
    for line in stdout.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            (document[metric["Name"]],) = document[metric["Name"]]
        documents.append(document)
    return documents
