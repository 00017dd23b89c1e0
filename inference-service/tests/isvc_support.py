"""Test support: a real ONNX bundle trained with scikit-learn and a contract-shaped SQLite store.

The bundle is built independently of model-training's code (only the format of
docs/contracts/serving-bundle.md is
shared), so the fitted scikit-learn pipeline doubles as the reference implementation the served
probabilities are checked against.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = [
    ("nb_previous_loans", "int"),
    ("avg_amount_loans_previous", "float"),
    ("age", "int"),
    ("years_on_the_job", "int"),
    ("flag_own_car", "int"),
]
FEATURE_NAMES = [name for name, _ in FEATURES]
THRESHOLD = 0.35
MODEL_VERSION = "7"

# Contract 3, written out by hand (not taken from the service's Table definition).
SQLITE_DDL = """
CREATE TABLE customer_features (
    id BIGINT PRIMARY KEY,
    nb_previous_loans INTEGER NOT NULL,
    avg_amount_loans_previous DOUBLE,
    age INTEGER,
    years_on_the_job INTEGER,
    flag_own_car INTEGER NOT NULL,
    as_of DATE NOT NULL,
    last_loan_date DATE NOT NULL,
    run_id TEXT NOT NULL
)
"""

# id -> feature values in contract order (None = missing)
KNOWN_CUSTOMERS: dict[int, tuple[Any, ...]] = {
    5008827: (3, 25000.0, 45, 10, 1),
    5008832: (0, None, 30, None, 0),
    5008900: (7, 12000.5, None, 2, 1),
    5009000: (12, 48000.0, 61, 35, 0),
    1: (1, 500.0, 22, 0, 0),
}
AS_OF = "2024-06-30"
# The pseudonym key the tests serve with (at least 32 characters, as the contract asks).
CUSTOMER_REF_KEY = "test-customer-ref-key-0123456789abcdef"
RUN_ID = "run-test-0001"


@dataclass(frozen=True)
class TrainedBundle:
    directory: Path
    pipeline: Pipeline
    metadata: dict[str, Any]

    def reference_proba(self, rows: list[tuple[Any, ...]]) -> np.ndarray:
        matrix = np.array(
            [[np.nan if v is None else v for v in row] for row in rows], dtype=np.float32
        )
        return self.pipeline.predict_proba(matrix)[:, 1]


def _training_data(seed: int = 20240630, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    nb = rng.poisson(3, n).astype(float)
    avg = rng.uniform(500, 50_000, n)
    avg[nb == 0] = np.nan
    age = rng.integers(21, 70, n).astype(float)
    age[rng.random(n) < 0.05] = np.nan
    years = rng.integers(0, 40, n).astype(float)
    years[rng.random(n) < 0.15] = np.nan
    car = rng.integers(0, 2, n).astype(float)
    x = np.column_stack([nb, avg, age, years, car]).astype(np.float32)
    logit = 0.35 * nb - 0.00003 * np.nan_to_num(avg, nan=20_000) - 0.03 * np.nan_to_num(age, nan=40)
    y = (rng.random(n) < 1 / (1 + np.exp(-(logit + 0.5)))).astype(int)
    return x, y


def train_reference_pipeline() -> tuple[Pipeline, np.ndarray]:
    """A small imputer + scaler + logistic regression pipeline, fitted on seeded data."""
    x, y = _training_data()
    pipeline = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(random_state=0)),
        ]
    ).fit(x, y)
    return pipeline, x


def write_bundle(directory: Path, pipeline: Pipeline, x: np.ndarray, **overrides: Any) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    onnx_model = to_onnx(
        pipeline,
        initial_types=[("features", FloatTensorType([None, len(FEATURES)]))],
        options={LogisticRegression: {"zipmap": False}},
        target_opset=17,
    )
    model_bytes = onnx_model.SerializeToString()
    (directory / "model.onnx").write_bytes(model_bytes)
    medians = np.nanmedian(x, axis=0)
    metadata: dict[str, Any] = {
        "schema_version": 2,
        "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
        "model_name": "credit-risk",
        "model_version": MODEL_VERSION,
        "run_id": "train-run-abc",
        "created_at": "2024-07-01T00:00:00+00:00",
        # Version 2 keys this service does not read, present as the training side writes them.
        "features": [
            {"name": n, "dtype": d, "kind": "categorical" if n == "flag_own_car" else "numeric"}
            for n, d in FEATURES
        ],
        "onnx_input_name": "features",
        "onnx_probability_output": "probabilities",
        "threshold": THRESHOLD,
        "training_data_fingerprint": "sha256:test",
        "positive_rate": 0.3,
        "reference_statistics": {
            "age": {
                "kind": "numeric",
                "bin_edges": [21, 40, 69],
                "counts": [300, 270],
                "null_count": 30,
            },
            "flag_own_car": {
                "kind": "categorical",
                "counts": {"0": 310, "1": 290},
                "null_count": 0,
            },
        },
        "reference_population": {
            "source": "online",
            "run_id": "r1",
            "as_of": "2024-06-30",
            "rows": 600,
        },
        "baseline_values": {n: float(m) for n, m in zip(FEATURE_NAMES, medians, strict=True)},
        "metrics": {"roc_auc": 0.7},
    }
    metadata.update(overrides)
    (directory / "metadata.json").write_text(json.dumps(metadata))
    (directory / "model_card.md").write_text("# test model\n")
    return metadata


def create_sqlite_store(path: Path, customers: dict[int, tuple[Any, ...]] | None = None) -> Path:
    customers = KNOWN_CUSTOMERS if customers is None else customers
    with sqlite3.connect(path) as conn:
        conn.execute(SQLITE_DDL)
        conn.executemany(
            "INSERT INTO customer_features VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(cid, *values, AS_OF, "2024-06-01", RUN_ID) for cid, values in customers.items()],
        )
    conn.close()
    return path


def expected_customer_ref(customer_id: int, key: str = CUSTOMER_REF_KEY) -> str:
    """DESIGN C4, written out here: hex HMAC-SHA256(key, id as UTF-8), first 32 characters."""
    return hmac.new(key.encode(), str(customer_id).encode(), hashlib.sha256).hexdigest()[:32]


def prediction_lines(text: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "prediction"]
