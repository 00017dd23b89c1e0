"""The track stage: everything a run records in MLflow (tags, params, metrics, artifacts, the
model) - written once the figures exist, so a run never holds half its evidence."""

from __future__ import annotations

import json
import platform
import subprocess
import tempfile
from dataclasses import asdict
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

_LIBRARIES = (
    "scikit-learn",
    "numpy",
    "pandas",
    "mlflow",
    "skl2onnx",
    "onnx",
    "onnxruntime",
    "model-training",
)
BUNDLE_INPUTS = "bundle_inputs"
MODEL_CARD = "model_card"
SPLIT_TAG = "split_fingerprint"
# The only types skops does not trust by default for our candidates (checked with
# skops.io.get_untrusted_types); the model files are written by this job into our own store.
SKOPS_TRUSTED_TYPES = (
    "numpy.dtype",
    "model_training.candidates.Float32MedianImputer",
    "sklearn.tree._tree.Tree",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def code_version() -> str:
    """git commit of the checkout (with -dirty), else the installed package version."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"{sha}{'-dirty' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return f"model-training=={importlib_metadata.version('model-training')}"


def log_model(pipeline: Pipeline, example: pd.DataFrame, versions: dict[str, str]) -> str:
    """The chosen pipeline in skops format with its signature; returns the model URI."""
    signature = infer_signature(example, pipeline.predict_proba(example))
    info = mlflow.sklearn.log_model(
        pipeline,
        name="model",
        signature=signature,
        input_example=example,
        # Pinned instead of inferred: inference would re-import the model in a subprocess.
        pip_requirements=[
            f"scikit-learn=={versions['scikit-learn']}",
            f"numpy=={versions['numpy']}",
            f"pandas=={versions['pandas']}",
        ],
        pyfunc_predict_fn="predict_proba",
        serialization_format="skops",
        skops_trusted_types=list(SKOPS_TRUSTED_TYPES),
    )
    return str(info.model_uri)


def log_evidence(
    *,
    tags: dict[str, str],
    params: dict[str, Any],
    metrics: dict[str, float],
    documents: dict[str, Any],
    tables: dict[str, pd.DataFrame],
) -> None:
    mlflow.set_tags(tags)
    mlflow.log_params(params)
    mlflow.log_metrics(metrics)
    for name, document in documents.items():
        mlflow.log_dict(document, name)
    for name, table in tables.items():
        if name.endswith(".parquet"):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / Path(name).name
                table.to_parquet(path, index=False)
                mlflow.log_artifact(str(path), str(Path(name).parent))
        else:
            mlflow.log_text(table.to_csv(index=False), name)


def log_bundle_inputs(
    summary: dict[str, Any], reference: dict[str, Any], parity_rows: pd.DataFrame
) -> None:
    """What `export` needs later, without re-reading the training data."""
    with tempfile.TemporaryDirectory(prefix="model-training-") as tmp:
        inputs = Path(tmp) / BUNDLE_INPUTS
        inputs.mkdir()
        (inputs / "training_summary.json").write_text(json.dumps(summary, indent=2))
        (inputs / "reference_statistics.json").write_text(json.dumps(reference, indent=2))
        parity_rows.to_parquet(inputs / "validation_sample.parquet", index=False)
        mlflow.log_artifacts(str(inputs), BUNDLE_INPUTS)


def trials_document(search: Any) -> dict[str, Any]:
    return {
        "truncated": search.truncated,
        "seconds": search.seconds,
        "rows": search.rows,
        "trials": [asdict(t) for t in search.trials],
    }
