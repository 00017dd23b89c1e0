"""The serving bundle (contract 5): ONNX model + metadata.json + model card + plots.

The bundle is assembled in a sibling temporary directory and renamed into place only after the
ONNX/scikit-learn parity check passed, so a reader never sees a half-written bundle.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import MissingIndicator
from sklearn.pipeline import Pipeline

from model_training.contract import (
    BUNDLE_SCHEMA_VERSION,
    FEATURE_DTYPES,
    FEATURES,
    ONNX_INPUT_NAME,
    ONNX_LABEL_OUTPUT,
    ONNX_PROBABILITY_OUTPUT,
)

log = logging.getLogger(__name__)

PARITY_TOLERANCE = 1e-6


class ExportError(RuntimeError):
    """The bundle cannot be produced (conversion failed, parity failed, inputs missing)."""


# --------------------------------------------------------------------------- statistics


def reference_statistics(x: pd.DataFrame, n_bins: int) -> dict[str, dict[str, Any]]:
    """Per feature: quantile bin edges over non-null values with counts, null share, mean, count.

    `count` is the number of rows (nulls included), so `null_share * count` = null rows and
    `sum(counts)` = non-null rows. Edges are deduplicated (integer features have ties), so a
    feature can have fewer than `n_bins` bins. Bins are [e0, e1), ..., [e_{k-1}, e_k] (numpy
    histogram semantics).
    """
    stats: dict[str, dict[str, Any]] = {}
    for feature in FEATURES:
        values = x[feature].to_numpy(dtype="float64")
        present = values[~np.isnan(values)]
        if len(present):
            edges = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)))
            if len(edges) == 1:  # a constant feature still needs one bin
                edges = np.array([edges[0], edges[0] + 1.0])
            counts, _ = np.histogram(present, bins=edges)
            mean: float | None = float(present.mean())
        else:
            edges, counts, mean = np.array([]), np.array([], dtype=int), None
        stats[feature] = {
            "bin_edges": [float(e) for e in edges],
            "counts": [int(c) for c in counts],
            "null_share": float(1 - len(present) / len(values)) if len(values) else 0.0,
            "mean": mean,
            "count": len(values),
        }
    return stats


def baseline_values(x: pd.DataFrame) -> dict[str, float]:
    """Training medians: the reference point for per-feature contribution explanations."""
    medians = {}
    for feature in FEATURES:
        present = x[feature].dropna()
        # An all-null feature (never seen in training) contributes nothing: baseline 0.
        medians[feature] = float(present.median()) if len(present) else 0.0
    return medians


# --------------------------------------------------------------------------- ONNX


def _register_missing_indicator_converter() -> None:
    """skl2onnx has no converter for MissingIndicator; it is IsNaN -> Cast -> Gather(columns)."""
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import FloatTensorType

    def shape(operator: Any) -> None:
        rows = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = FloatTensorType([rows, len(operator.raw_operator.features_)])

    def convert(scope: Any, operator: Any, container: Any) -> None:
        indicator = operator.raw_operator
        if indicator.features == "missing-only" and indicator.error_on_new:
            raise ExportError("MissingIndicator(error_on_new=True) has no ONNX equivalent")
        columns = [int(c) for c in indicator.features_]
        is_nan = scope.get_unique_variable_name("is_nan")
        as_float = scope.get_unique_variable_name("is_nan_float")
        index = scope.get_unique_variable_name("indicator_columns")
        container.add_node(
            "IsNaN",
            operator.inputs[0].full_name,
            is_nan,
            name=scope.get_unique_operator_name("IsNaN"),
        )
        container.add_node(
            "Cast",
            is_nan,
            as_float,
            to=TensorProto.FLOAT,
            name=scope.get_unique_operator_name("Cast"),
        )
        container.add_initializer(index, TensorProto.INT64, [len(columns)], columns)
        container.add_node(
            "Gather",
            [as_float, index],
            operator.outputs[0].full_name,
            axis=1,
            name=scope.get_unique_operator_name("Gather"),
        )

    update_registered_converter(
        MissingIndicator, "ModelTrainingMissingIndicator", shape, convert, overwrite=True
    )


def to_onnx_bytes(pipeline: Pipeline) -> bytes:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    _register_missing_indicator_converter()
    final = pipeline.steps[-1][1]
    try:
        model = to_onnx(
            pipeline,
            initial_types=[(ONNX_INPUT_NAME, FloatTensorType([None, len(FEATURES)]))],
            options={id(final): {"zipmap": False}},
            target_opset={"": 17, "ai.onnx.ml": 3},
        )
    except Exception as exc:  # skl2onnx raises many unrelated types
        raise ExportError(f"ONNX conversion failed: {exc}") from exc
    outputs = [o.name for o in model.graph.output]
    if outputs != [ONNX_LABEL_OUTPUT, ONNX_PROBABILITY_OUTPUT]:
        raise ExportError(f"unexpected ONNX outputs {outputs}")
    data: bytes = model.SerializeToString()
    return data


def onnx_probabilities(onnx_bytes: bytes, x: pd.DataFrame) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    matrix = x.loc[:, list(FEATURES)].to_numpy(dtype=np.float32)
    _, probabilities = session.run(None, {ONNX_INPUT_NAME: matrix})
    return np.asarray(probabilities)


def parity_max_abs_diff(pipeline: Pipeline, onnx_bytes: bytes, x: pd.DataFrame) -> float:
    """Max |P_onnx - P_sklearn| over both class columns, on identical (float32) inputs."""
    as_float32 = x.loc[:, list(FEATURES)].astype(np.float32).astype(np.float64)
    expected = pipeline.predict_proba(as_float32)
    actual = onnx_probabilities(onnx_bytes, x)
    if actual.shape != expected.shape:
        raise ExportError(f"ONNX output shape {actual.shape} != scikit-learn {expected.shape}")
    if not np.all(np.isfinite(actual)):
        raise ExportError("ONNX produced non-finite probabilities")
    return float(np.max(np.abs(actual - expected)))


# --------------------------------------------------------------------------- bundle


def build_metadata(
    *,
    model_name: str,
    model_version: str,
    run_id: str,
    threshold: float,
    fingerprint: str,
    positive_rate: float,
    reference: dict[str, dict[str, Any]],
    baselines: dict[str, float],
    metrics: dict[str, float],
    trained_at: datetime,
) -> dict[str, Any]:
    return {
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "model_name": model_name,
        "model_version": str(model_version),
        "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # When the model was trained (its MLflow run started): what model staleness is measured
        # from, so re-exporting an old champion (e.g. on rollback) does not make it look new.
        "trained_at": trained_at.astimezone(UTC).isoformat(timespec="seconds"),
        "features": [{"name": f, "dtype": FEATURE_DTYPES[f]} for f in FEATURES],
        "onnx_input_name": ONNX_INPUT_NAME,
        "onnx_probability_output": ONNX_PROBABILITY_OUTPUT,
        "threshold": float(threshold),
        "training_data_fingerprint": fingerprint,
        "positive_rate": float(positive_rate),
        "reference_statistics": reference,
        "baseline_values": baselines,
        "metrics": {k: float(v) for k, v in metrics.items() if not math.isnan(float(v))},
    }


def write_bundle(
    out_dir: Path,
    *,
    pipeline: Pipeline,
    parity_rows: pd.DataFrame,
    metadata: dict[str, Any],
    model_card_dir: Path,
    tolerance: float = PARITY_TOLERANCE,
) -> dict[str, Any]:
    """Convert, check parity, then atomically (re)place `out_dir`. Returns a small report."""
    onnx_bytes = to_onnx_bytes(pipeline)
    diff = parity_max_abs_diff(pipeline, onnx_bytes, parity_rows)
    if not diff <= tolerance:
        raise ExportError(
            f"ONNX parity failed: max |P_onnx - P_sklearn| = {diff:.3g} > {tolerance:g} "
            f"on {len(parity_rows)} validation rows; bundle not written"
        )
    card = model_card_dir / "model_card.md"
    if not card.is_file():
        raise ExportError(f"model card missing from the run artifacts ({card})")

    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        (staging / "model.onnx").write_bytes(onnx_bytes)
        # Extra keys would break strict readers of contract 5; the figure goes under metrics.
        metadata = {
            **metadata,
            "metrics": {**metadata["metrics"], "onnx_parity_max_abs_diff": diff},
        }
        (staging / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=False))
        shutil.copy2(card, staging / "model_card.md")
        plots = model_card_dir / "plots"
        if plots.is_dir():
            shutil.copytree(plots, staging / "plots")
        if out_dir.exists():
            retired = out_dir.with_name(
                f".{out_dir.name}.retired-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
            )
            out_dir.rename(retired)
            staging.rename(out_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"out": str(out_dir), "parity_max_abs_diff": diff, "parity_rows": len(parity_rows)}
