"""The serving bundle's ``metadata.json`` (contract 5): model identity and training reference."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from risk_monitoring.errors import InputError

MODEL_FEATURES = (
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
)


@dataclass(frozen=True)
class FeatureReference:
    """Training distribution of one feature.

    Bins follow ``numpy.histogram(values, bins=bin_edges)``: bin i is [e_i, e_i+1), the last one
    closed; served values outside [e_0, e_n] are counted in the first/last bin. Quantile edges of a
    discrete feature repeat; such zero-width bins hold nothing on either side and drop out of PSI.
    """

    name: str
    dtype: str
    bin_edges: np.ndarray
    counts: np.ndarray
    null_share: float

    @property
    def n_bins(self) -> int:
        return len(self.counts)

    def bin_index(self, values: np.ndarray) -> np.ndarray:
        """Bin of each finite value (same convention as numpy.histogram, clamped at the ends)."""
        return np.searchsorted(self.bin_edges[1:-1], values, side="right")

    def proportions(self) -> np.ndarray:
        total = self.counts.sum()
        return self.counts / total if total > 0 else np.zeros(self.n_bins)


@dataclass(frozen=True)
class BundleMetadata:
    model_name: str
    model_version: str
    created_at: datetime
    # When the model was trained; bundles from before `trained_at` existed fall back to the
    # export time (created_at), which can only make a model look younger than it is.
    trained_at: datetime
    threshold: float
    positive_rate: float
    features: tuple[FeatureReference, ...]
    metrics: dict[str, float]

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    def training_roc_auc(self) -> float | None:
        for key in ("roc_auc", "test_roc_auc", "auc", "roc_auc_test"):
            value = self.metrics.get(key)
            if value is not None and math.isfinite(value):
                return float(value)
        return None


def _require(mapping: dict[str, Any], key: str, where: str) -> Any:
    if key not in mapping:
        raise InputError(f"metadata.json: missing '{key}' in {where}")
    return mapping[key]


def _parse_timestamp(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise InputError(f"metadata.json: created_at {text!r} is not ISO-8601") from error
    # A naive timestamp is taken as UTC: the contract says timestamps are UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _feature_reference(name: str, dtype: str, raw: dict[str, Any]) -> FeatureReference:
    where = f"reference_statistics.{name}"
    edges = np.asarray(_require(raw, "bin_edges", where), dtype=float)
    counts = np.asarray(_require(raw, "counts", where), dtype=float)
    null_share = float(_require(raw, "null_share", where))
    if edges.ndim != 1 or len(edges) < 2 or len(counts) != len(edges) - 1:
        raise InputError(f"metadata.json: {where} needs n+1 bin_edges for n counts")
    if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) < 0):
        raise InputError(f"metadata.json: {where}.bin_edges must be finite and non-decreasing")
    if np.any(counts < 0) or not 0.0 <= null_share <= 1.0:
        raise InputError(f"metadata.json: {where} has negative counts or null_share outside [0,1]")
    if counts.sum() == 0 and null_share < 1.0:
        raise InputError(f"metadata.json: {where} has no counts")
    return FeatureReference(name, dtype, edges, counts, null_share)


def parse_metadata(document: dict[str, Any]) -> BundleMetadata:
    if document.get("schema_version") != 1:
        raise InputError(
            f"metadata.json: schema_version {document.get('schema_version')!r} is not supported"
        )
    features_raw = _require(document, "features", "metadata")
    statistics = _require(document, "reference_statistics", "metadata")
    references = []
    for entry in features_raw:
        name, dtype = entry["name"], entry["dtype"]
        if dtype not in ("int", "float"):
            raise InputError(f"metadata.json: feature {name} has unknown dtype {dtype!r}")
        if name not in statistics:
            raise InputError(f"metadata.json: no reference_statistics for feature {name}")
        references.append(_feature_reference(name, dtype, statistics[name]))
    metrics = {
        key: float(value)
        for key, value in (document.get("metrics") or {}).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    created_at = _parse_timestamp(str(_require(document, "created_at", "metadata")))
    return BundleMetadata(
        model_name=str(_require(document, "model_name", "metadata")),
        model_version=str(_require(document, "model_version", "metadata")),
        created_at=created_at,
        trained_at=_parse_timestamp(str(document["trained_at"]))
        if document.get("trained_at")
        else created_at,
        threshold=float(_require(document, "threshold", "metadata")),
        positive_rate=float(_require(document, "positive_rate", "metadata")),
        features=tuple(references),
        metrics=metrics,
    )


def load_metadata(text: str) -> BundleMetadata:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"metadata.json is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise InputError("metadata.json must hold a JSON object")
    return parse_metadata(document)
