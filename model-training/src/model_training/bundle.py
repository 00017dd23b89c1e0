"""The serving bundle (docs/contracts/serving-bundle.md): model.onnx, metadata.json, model card.

The bundle is assembled in a sibling temporary directory and renamed into place only after the
ONNX/scikit-learn parity check passed, so a reader never sees a half-written bundle.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from model_training.contract import (
    BUNDLE_SCHEMA_VERSION,
    FEATURE_DTYPES,
    FEATURE_KINDS,
    FEATURES,
    ONNX_INPUT_NAME,
    ONNX_PROBABILITY_OUTPUT,
)
from model_training.onnx_export import (
    PARITY_TOLERANCE,
    ExportError,
    parity_max_abs_diff,
    to_onnx_bytes,
)


def build_metadata(
    *,
    model_name: str,
    model_version: str,
    run_id: str,
    trained_at: datetime,
    summary: dict[str, Any],
    reference: dict[str, Any],
) -> dict[str, Any]:
    """metadata.json without `model_sha256` (added by write_bundle from the bytes it writes).

    `summary` is the run's training_summary.json, `reference` its reference_statistics.json.
    """
    return {
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "model_name": model_name,
        "model_version": str(model_version),
        "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # When the model was trained (its MLflow run started): what model staleness is measured
        # from, so re-exporting an old champion (e.g. on rollback) does not make it look new.
        "trained_at": trained_at.astimezone(UTC).isoformat(timespec="seconds"),
        "features": [
            {"name": f, "dtype": FEATURE_DTYPES[f], "kind": FEATURE_KINDS[f]} for f in FEATURES
        ],
        "onnx_input_name": ONNX_INPUT_NAME,
        "onnx_probability_output": ONNX_PROBABILITY_OUTPUT,
        "threshold": float(summary["threshold"]),
        "training_data_fingerprint": summary["training_data_fingerprint"],
        "positive_rate": float(summary["positive_rate"]),
        "split": summary["split"],
        "metrics": {k: float(v) for k, v in summary["metrics"].items() if not math.isnan(v)},
        "test_metrics": summary["test_metrics"],
        "reference_statistics": reference["statistics"],
        "reference_population": reference["population"],
        "baseline_values": summary["baseline_values"],
    }


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
    digest = sha256_hex(onnx_bytes)
    metadata = {
        **metadata,
        "model_sha256": digest,
        "metrics": {**metadata["metrics"], "onnx_parity_max_abs_diff": diff},
    }
    _replace_directory(out_dir.resolve(), onnx_bytes, metadata, model_card_dir)
    return {
        "out": str(out_dir.resolve()),
        "model_sha256": digest,
        "parity_max_abs_diff": diff,
        "parity_rows": len(parity_rows),
    }


def _replace_directory(
    out_dir: Path, onnx_bytes: bytes, metadata: dict[str, Any], model_card_dir: Path
) -> None:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        (staging / "model.onnx").write_bytes(onnx_bytes)
        (staging / "metadata.json").write_text(json.dumps(metadata, indent=2))
        shutil.copy2(model_card_dir / "model_card.md", staging / "model_card.md")
        if (model_card_dir / "plots").is_dir():
            shutil.copytree(model_card_dir / "plots", staging / "plots")
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
