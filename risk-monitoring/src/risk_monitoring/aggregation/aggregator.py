"""Streaming aggregation of prediction log lines (docs/contracts/prediction-log.md) into
summaries whose size does not grow with the number of lines.

Per feature and time window only bucket counts are kept, latencies go into a fixed histogram,
the skew sample is a reservoir of fixed size and the label join keeps at most one prediction per
known label. Accepted rows are buffered in column chunks and counted with numpy.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from risk_monitoring.aggregation.features import FeatureColumns, FeatureSummary
from risk_monitoring.aggregation.lines import REQUIRED_FIELDS, LineCounts
from risk_monitoring.aggregation.predictions import PredictionSummary
from risk_monitoring.aggregation.reservoir import Reservoir
from risk_monitoring.aggregation.windows import Labels, TimeWindows
from risk_monitoring.io.labels import LabelIndex
from risk_monitoring.io.metadata import BundleMetadata

CHUNK_ROWS = 20_000
_NUMBER = (float, int)
_required_fields = operator.itemgetter(*REQUIRED_FIELDS)


@dataclass(frozen=True)
class SampledRequest:
    """A served request kept for the skew check."""

    request_id: str
    customer_ref: str
    store_run_id: str
    as_of: str
    features: dict[str, Any]


@dataclass(frozen=True)
class LabelledPrediction:
    probability: float
    window: int
    version: int
    status: int


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


class _Chunk:
    def __init__(self, names: tuple[str, ...]) -> None:
        self.windows: list[int] = []
        self.versions: list[int] = []
        self.probabilities: list[Any] = []
        self.predictions: list[Any] = []
        self.latencies: list[Any] = []
        self.features = FeatureColumns(names)


class LogAggregator:
    def __init__(
        self,
        metadata: BundleMetadata,
        *,
        window: str = "hour",
        max_windows: int = 1000,
        sample_size: int = 200,
        seed: int = 0,
        labels: LabelIndex | None = None,
        feature_bounds: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        self.metadata = metadata
        self.references = metadata.features
        self.feature_names = metadata.feature_names
        bounds = feature_bounds or {}
        self.lines = LineCounts()
        self.windows = TimeWindows(window, max_windows)
        self.versions = Labels()
        self.features = FeatureSummary(
            self.references,
            [bounds.get(name, (-math.inf, math.inf)) for name in self.feature_names],
        )
        self.predictions = PredictionSummary()
        # (request day, served as_of) -> rows: bounded by distinct pairs, a handful per day.
        self.as_of_pairs: Counter[tuple[str, str]] = Counter()
        self.reservoir: Reservoir[SampledRequest] = Reservoir(sample_size, seed)
        self.labels = labels
        self.labelled: dict[tuple[str, str], LabelledPrediction] = {}
        self._chunk = _Chunk(self.feature_names)

    @property
    def sample(self) -> list[SampledRequest]:
        return self.reservoir.items

    def consume(self, lines: Iterable[str]) -> None:
        """Count ``lines`` into the summaries (the job's hot path: millions of lines a run)."""
        prediction_event = self.lines.prediction_event
        add = self._add
        for line in lines:
            record = prediction_event(line)
            if record is not None:
                add(record)
        self._flush()

    def _add(self, record: dict[str, Any]) -> None:
        try:
            (timestamp, as_of, features, version, ref, run_id, probability, prediction, latency) = (
                _required_fields(record)
            )
        except KeyError as missing:
            self.lines.rejected[f"missing_{missing.args[0]}"] += 1
            return
        if not (
            type(timestamp) is str
            and type(as_of) is str
            and len(as_of) == 10
            and type(features) is dict
            and type(version) is str
            and type(ref) is str
            and type(run_id) is str
            and type(probability) in _NUMBER
            and type(latency) in _NUMBER
        ):
            self.lines.rejected["wrong_type"] += 1
            return
        window = self.windows.index.get(timestamp[: self.windows.prefix_length])
        if window is None:
            window = self.windows.add(timestamp)
            if window < 0:
                self.lines.rejected["bad_timestamp"] += 1
                return
        pair = (timestamp[:10], as_of)
        if pair not in self.as_of_pairs and not _is_date(as_of):
            self.lines.rejected["bad_as_of"] += 1
            return
        version_index = self.versions.index.get(version)
        if version_index is None:
            version_index = self.versions.add(version)

        chunk = self._chunk
        chunk.features.append(features, len(chunk.windows))
        chunk.windows.append(window)
        chunk.versions.append(version_index)
        chunk.probabilities.append(probability)
        chunk.predictions.append(prediction)
        chunk.latencies.append(latency)
        self.as_of_pairs[pair] += 1
        position = self.lines.accepted
        self.lines.accepted += 1
        if self.reservoir.wants(position):
            request_id = str(record.get("request_id"))
            sampled = SampledRequest(request_id, ref, run_id, as_of, dict(features))
            self.reservoir.offer(position, sampled)
        if self.labels is not None:
            self._join_label(record, ref, float(probability), window, version_index)
        if len(chunk.windows) >= CHUNK_ROWS:
            self._flush()

    def _join_label(
        self, record: dict[str, Any], ref: str, probability: float, window: int, version: int
    ) -> None:
        assert self.labels is not None
        key = (str(record.get("request_id")), ref)
        status = self.labels.status.get(key)
        if status is not None:
            # The last prediction for a key wins (a retried request is one decision).
            self.labelled[key] = LabelledPrediction(probability, window, version, status)

    def _flush(self) -> None:
        chunk = self._chunk
        self._chunk = _Chunk(self.feature_names)
        windows = np.asarray(chunk.windows, np.int64)
        self.features.add(chunk.features, windows, len(self.windows))
        self.predictions.add(
            windows,
            np.asarray(chunk.versions, np.int64),
            chunk.probabilities,
            chunk.predictions,
            chunk.latencies,
            n_windows=len(self.windows),
            n_versions=len(self.versions.keys),
        )
