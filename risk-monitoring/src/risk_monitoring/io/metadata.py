"""The serving bundle's ``metadata.json`` (docs/contracts/serving-bundle.md, schema_version 2).

The job is given either a bundle's ``metadata.json`` or a bundle pointer (``champion.json``,
which model-training's ``promote`` and ``rollback`` move only after a release succeeded): a
pointer is followed to ``<its folder>/<prefix>metadata.json``, which must name the pointer's
model version and ``model_sha256``. Only what monitoring uses is read: model identity, the
training metrics the quality check compares with, and the reference statistics of the serving
population (the training run's online rows, one per customer) in counts, so the drift tests
know the reference's size.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from risk_monitoring.errors import InputError
from risk_monitoring.io import storage

SCHEMA_VERSION = 2
NUMERIC, CATEGORICAL = "numeric", "categorical"


@dataclass(frozen=True)
class FeatureReference:
    """Reference distribution of one feature as buckets: its value buckets, then a null bucket.

    Numeric: the quantile bins, read as ``numpy.histogram(values, bins=bin_edges)`` (bin i is
    [e_i, e_i+1), the last one closed); served values outside [e_0, e_n] count in the end bins.
    Categorical: one bucket per reference value plus an "unseen" bucket (reference count 0) for
    served values the reference population never had.
    """

    name: str
    dtype: str
    kind: str
    bin_edges: np.ndarray  # numeric only (empty for categorical)
    categories: np.ndarray  # categorical only: the reference values, ascending
    counts: np.ndarray  # per value bucket, as floats
    null_count: float

    @property
    def n_value_buckets(self) -> int:
        return len(self.counts) + (1 if self.kind == CATEGORICAL else 0)

    @property
    def rows(self) -> float:
        return float(self.counts.sum() + self.null_count)

    @property
    def null_share(self) -> float:
        return self.null_count / self.rows

    def bucket_index(self, values: np.ndarray) -> np.ndarray:
        """Value bucket of each finite served value."""
        if self.kind == NUMERIC:
            return np.searchsorted(self.bin_edges[1:-1], values, side="right")
        unseen = len(self.categories)
        if unseen == 0:
            return np.full(len(values), unseen, dtype=np.int64)
        index = np.searchsorted(self.categories, values)
        found = np.minimum(index, unseen - 1)
        return np.where(self.categories[found] == values, found, unseen)

    def reference_counts(self) -> np.ndarray:
        """Counts over every bucket: value buckets (with "unseen" = 0), then nulls."""
        unseen = [0.0] if self.kind == CATEGORICAL else []
        return np.concatenate([self.counts, unseen, [self.null_count]])

    def bucket_labels(self) -> list[str]:
        if self.kind == CATEGORICAL:
            values = [_short(value) for value in self.categories]
            return [*values, "unseen", "null"]
        edges = self.bin_edges
        bins = [f"{_short(edges[i])}–{_short(edges[i + 1])}" for i in range(len(self.counts))]
        return [*bins, "null"]


def _short(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


@dataclass(frozen=True)
class BundleMetadata:
    model_name: str
    model_version: str
    created_at: datetime
    # When the model was trained; bundles without `trained_at` fall back to the export time,
    # which can only make a model look younger than it is.
    trained_at: datetime
    threshold: float
    positive_rate: float | None
    features: tuple[FeatureReference, ...]
    training_roc_auc: float | None
    reference_population: dict[str, Any]
    model_sha256: str | None

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)


def _require(mapping: dict[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise InputError(f"metadata.json: missing '{key}' in {where}")
    return mapping[key]


def _parse_timestamp(text: str, key: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise InputError(f"metadata.json: {key} {text!r} is not ISO-8601") from error
    # A naive timestamp is taken as UTC: the contract says timestamps are UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _counts(raw: Any, where: str) -> np.ndarray:
    counts = np.asarray(raw, dtype=float)
    if counts.ndim != 1 or np.any(~np.isfinite(counts)) or np.any(counts < 0):
        raise InputError(f"metadata.json: {where}.counts must be non-negative numbers")
    return counts


def _numeric_reference(name: str, dtype: str, raw: dict[str, Any], null_count: float) -> Any:
    where = f"reference_statistics.{name}"
    counts = _counts(_require(raw, "counts", where), where)
    edges = np.asarray(_require(raw, "bin_edges", where), dtype=float)
    if len(counts) == 0 and edges.size <= 1:
        # Every reference value was null: one bucket holds whatever is served instead.
        edges, counts = np.array([-np.inf, np.inf]), np.zeros(1)
    elif edges.ndim != 1 or len(edges) != len(counts) + 1:
        raise InputError(f"metadata.json: {where} needs n+1 bin_edges for n counts")
    elif not np.all(np.isfinite(edges)) or np.any(np.diff(edges) < 0):
        raise InputError(f"metadata.json: {where}.bin_edges must be finite and ascending")
    return FeatureReference(name, dtype, NUMERIC, edges, np.empty(0), counts, null_count)


def _categorical_reference(name: str, dtype: str, raw: dict[str, Any], null_count: float) -> Any:
    where = f"reference_statistics.{name}"
    by_value = _require(raw, "counts", where)
    if not isinstance(by_value, dict):
        raise InputError(f"metadata.json: {where}.counts must map value -> count")
    try:
        pairs = sorted((float(value), count) for value, count in by_value.items())
    except ValueError as error:
        raise InputError(f"metadata.json: {where} has a non-numeric category: {error}") from error
    categories = np.asarray([value for value, _ in pairs], dtype=float)
    if len(np.unique(categories)) != len(categories):
        raise InputError(f"metadata.json: {where} names one category twice")
    counts = _counts([count for _, count in pairs], where)
    return FeatureReference(name, dtype, CATEGORICAL, np.empty(0), categories, counts, null_count)


def _feature_reference(entry: dict[str, Any], statistics: dict[str, Any]) -> FeatureReference:
    name = _require(entry, "name", "features[]")
    dtype, kind = _require(entry, "dtype", name), _require(entry, "kind", name)
    if dtype not in ("int", "float"):
        raise InputError(f"metadata.json: feature {name} has unknown dtype {dtype!r}")
    if kind not in (NUMERIC, CATEGORICAL):
        raise InputError(f"metadata.json: feature {name} has unknown kind {kind!r}")
    raw = _require(statistics, name, "reference_statistics")
    where = f"reference_statistics.{name}"
    if raw.get("kind") != kind:
        raise InputError(f"metadata.json: {where}.kind {raw.get('kind')!r} != feature kind {kind}")
    null_count = float(_require(raw, "null_count", where))
    if not math.isfinite(null_count) or null_count < 0:
        raise InputError(f"metadata.json: {where}.null_count must be a non-negative count")
    build = _numeric_reference if kind == NUMERIC else _categorical_reference
    reference: FeatureReference = build(name, dtype, raw, null_count)
    if reference.rows <= 0:
        raise InputError(f"metadata.json: {where} counts no rows")
    return reference


def _training_roc_auc(document: dict[str, Any]) -> float | None:
    """The test-set ROC-AUC (``test_metrics.roc_auc``: a number or {"value": ...})."""
    for section, key in (("test_metrics", "roc_auc"), ("metrics", "roc_auc")):
        value = (document.get(section) or {}).get(key)
        if isinstance(value, dict):
            value = value.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def parse_metadata(document: dict[str, Any]) -> BundleMetadata:
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InputError(
            f"metadata.json: schema_version {version!r} is not supported (this job reads "
            f"version {SCHEMA_VERSION}: reference statistics of the serving population in "
            "counts); re-export the bundle with a current model-training"
        )
    statistics = _require(document, "reference_statistics", "metadata")
    references = tuple(
        _feature_reference(entry, statistics)
        for entry in _require(document, "features", "metadata")
    )
    created_at = _parse_timestamp(str(_require(document, "created_at", "metadata")), "created_at")
    trained_at = document.get("trained_at")
    positive_rate = document.get("positive_rate")
    return BundleMetadata(
        model_name=str(_require(document, "model_name", "metadata")),
        model_version=str(_require(document, "model_version", "metadata")),
        created_at=created_at,
        trained_at=_parse_timestamp(str(trained_at), "trained_at") if trained_at else created_at,
        threshold=float(_require(document, "threshold", "metadata")),
        positive_rate=float(positive_rate) if positive_rate is not None else None,
        features=references,
        training_roc_auc=_training_roc_auc(document),
        reference_population=dict(document.get("reference_population") or {}),
        model_sha256=document.get("model_sha256"),
    )


def load_metadata(text: str) -> BundleMetadata:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"metadata.json is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise InputError("metadata.json must hold a JSON object")
    return parse_metadata(document)


def _is_pointer(document: Any) -> bool:
    return isinstance(document, dict) and "prefix" in document and "schema_version" not in document


def read_metadata_text(uri: str) -> str:
    """The text of the bundle metadata ``uri`` names, following a bundle pointer.

    A pointer whose bundle names another model version or hash is refused: monitoring must judge
    the model that serves, never a half-moved pointer's neighbour.
    """
    text = storage.read_text(uri)
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return text  # load_metadata reports it
    if not _is_pointer(document):
        return text
    prefix = str(document["prefix"])
    if not prefix or prefix.startswith("/") or ".." in prefix.split("/"):
        raise InputError(f"{uri}: pointer prefix {prefix!r} is not a relative bundle folder")
    target = f"{uri.rsplit('/', 1)[0]}/{prefix.rstrip('/')}/metadata.json"
    metadata_text = storage.read_text(target)  # InputError naming the target when absent
    metadata = load_metadata(metadata_text)
    named = (str(document.get("model_version")), document.get("model_sha256"))
    if named != (metadata.model_version, metadata.model_sha256):
        raise InputError(
            f"{uri} names model {named[0]} ({named[1]}), but {target} is model "
            f"{metadata.model_version} ({metadata.model_sha256})"
        )
    return metadata_text
