"""Streaming aggregation of prediction log lines (contract 6) into bounded-size summaries.

One pass over the lines; memory does not grow with the number of lines: per feature and time
window only reference-bin counts are kept, latencies go into a fixed histogram, the skew sample
is a reservoir of fixed size and the label join keeps at most one prediction per known outcome.
Parsed rows are buffered in chunks and then counted with numpy (searchsorted/bincount).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from risk_monitoring.errors import InputError
from risk_monitoring.latency import N_LATENCY_BINS, latency_bins
from risk_monitoring.outcomes import OutcomeIndex
from risk_monitoring.reference import BundleMetadata

PROBABILITY_BINS = 20
_MISSING = object()
_CHUNK_ROWS = 20_000


@dataclass
class SampledRequest:
    """A served request kept for the skew check."""

    request_id: str
    customer_id: str
    as_of: str
    features: dict[str, Any]


@dataclass
class LabelledPrediction:
    probability: float
    window: int
    version: int
    status: int


@dataclass
class VersionStats:
    count: int = 0
    latency_counts: np.ndarray = field(default_factory=lambda: np.zeros(N_LATENCY_BINS, np.int64))
    latency_min: float = math.inf
    latency_max: float = -math.inf
    latency_sum: float = 0.0
    probability_sum: float = 0.0
    predicted_positive: int = 0
    probability_counts: np.ndarray = field(
        default_factory=lambda: np.zeros(PROBABILITY_BINS, np.int64)
    )


class _Chunk:
    """Column buffers of up to _CHUNK_ROWS accepted predictions."""

    def __init__(self, n_features: int) -> None:
        self.windows: list[int] = []
        self.versions: list[int] = []
        self.probabilities: list[Any] = []
        self.predictions: list[Any] = []
        self.latencies: list[Any] = []
        self.columns: list[list[Any]] = [[] for _ in range(n_features)]
        # Row numbers (within the chunk) where a feature was null / of a wrong type / absent.
        self.null_rows: list[list[int]] = [[] for _ in range(n_features)]
        self.bad_type_rows: list[list[int]] = [[] for _ in range(n_features)]
        self.absent_rows: list[list[int]] = [[] for _ in range(n_features)]

    def __len__(self) -> int:
        return len(self.windows)

    def slots(
        self, names: tuple[str, ...]
    ) -> list[tuple[str, list[Any], list[int], list[int], list[int]]]:
        """Per feature: (name, values, null rows, absent rows, wrong-type rows) for the hot loop."""
        return list(
            zip(
                names,
                self.columns,
                self.null_rows,
                self.absent_rows,
                self.bad_type_rows,
                strict=True,
            )
        )


class LogAggregator:
    def __init__(
        self,
        metadata: BundleMetadata,
        *,
        window: str = "hour",
        max_windows: int = 1000,
        sample_size: int = 200,
        seed: int = 0,
        outcomes: OutcomeIndex | None = None,
    ) -> None:
        self.metadata = metadata
        self.feature_names = metadata.feature_names
        self.references = metadata.features
        self._prefix_length = 13 if window == "hour" else 10
        self._window_format = "%Y-%m-%dT%H" if window == "hour" else "%Y-%m-%d"
        self.max_windows = max_windows
        self.window_keys: list[str] = []
        self._window_index: dict[str, int] = {}
        self.version_keys: list[str] = []
        self._version_index: dict[str, int] = {}
        self.versions: list[VersionStats] = []

        n_features = len(self.feature_names)
        self.bin_counts = [np.zeros((0, ref.n_bins), np.int64) for ref in self.references]
        self.null_counts = np.zeros((0, n_features), np.int64)
        self.window_rows = np.zeros(0, np.int64)
        self.window_probability_sum = np.zeros(0)
        self.window_predicted_positive = np.zeros(0, np.int64)
        self.bad_type = np.zeros(n_features, np.int64)
        self.absent = np.zeros(n_features, np.int64)
        self.non_integer = np.zeros(n_features, np.int64)
        self.below_range = np.zeros(n_features, np.int64)
        self.above_range = np.zeros(n_features, np.int64)
        self.non_finite_features = np.zeros(n_features, np.int64)
        self.non_finite_probability = 0
        self.probability_out_of_range = 0
        self.bad_prediction = 0
        self.non_finite_latency = 0
        self._bounds = [(-math.inf, math.inf)] * n_features
        self._integer = [ref.dtype == "int" for ref in self.references]

        self.lines_total = 0
        self.blank_lines = 0
        self.non_json_lines = 0
        self.other_events: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.accepted = 0
        # (request day, served as_of) -> rows: bounded by distinct pairs, a handful per day.
        self.as_of_pairs: Counter[tuple[str, str]] = Counter()

        self.sample_size = sample_size
        self.sample: list[SampledRequest] = []
        self._random = random.Random(seed)  # noqa: S311 - sampling, not security
        # Algorithm L: 0-based index of the next accepted row to keep once the reservoir is full.
        self._next_sample_at = sample_size - 1
        self._sample_weight = 1.0
        if sample_size > 0:
            self._advance_reservoir()

        self.outcomes = outcomes
        self.labelled: dict[Any, LabelledPrediction] = {}
        self._chunk = _Chunk(n_features)

    def set_feature_bounds(self, bounds: dict[str, tuple[float, float]]) -> None:
        self._bounds = [bounds.get(name, (-math.inf, math.inf)) for name in self.feature_names]

    # --- reservoir sampling (Algorithm L: O(k log(n/k)) random draws instead of one per row)

    def _advance_reservoir(self) -> None:
        k = self.sample_size
        # 1 - random() lies in (0, 1]: log() is defined; W stays below 1 for the skip formula.
        self._sample_weight *= math.exp(math.log(1.0 - self._random.random()) / k)
        weight = min(self._sample_weight, 1.0 - 1e-12)
        skip = math.floor(math.log(1.0 - self._random.random()) / math.log(1.0 - weight))
        self._next_sample_at += skip + 1

    def _offer_sample(self, position: int, record: dict[str, Any], customer: str) -> None:
        request = SampledRequest(
            str(record.get("request_id")), customer, record["as_of"], dict(record["features"])
        )
        if position < self.sample_size:
            self.sample.append(request)
        else:
            self.sample[self._random.randrange(self.sample_size)] = request
            self._advance_reservoir()

    # --- line handling

    def _window(self, timestamp: str) -> int:
        key = timestamp[: self._prefix_length]
        index = self._window_index.get(key)
        if index is not None:
            return index
        try:
            datetime.strptime(key, self._window_format)
        except ValueError:
            return -1
        if len(self.window_keys) >= self.max_windows:
            raise InputError(
                f"more than {self.max_windows} time windows in the logs; use a coarser window"
            )
        index = len(self.window_keys)
        self._window_index[key] = index
        self.window_keys.append(key)
        self._grow_windows()
        return index

    def _grow_windows(self) -> None:
        self.bin_counts = [
            np.vstack([counts, np.zeros((1, counts.shape[1]), np.int64)])
            for counts in self.bin_counts
        ]
        self.null_counts = np.vstack(
            [self.null_counts, np.zeros((1, len(self.feature_names)), np.int64)]
        )
        self.window_rows = np.append(self.window_rows, 0)
        self.window_probability_sum = np.append(self.window_probability_sum, 0.0)
        self.window_predicted_positive = np.append(self.window_predicted_positive, 0)

    def _version(self, version: str) -> int:
        index = self._version_index.get(version)
        if index is None:
            index = len(self.version_keys)
            self._version_index[version] = index
            self.version_keys.append(version)
            self.versions.append(VersionStats())
        return index

    def consume(self, lines: Iterable[str]) -> None:
        """Count ``lines`` into the summaries. The loop is the job's hot path (millions of lines
        per run): attribute look-ups are hoisted into locals on purpose."""
        names = self.feature_names
        loads = json.loads
        outcomes = self.outcomes
        window_index = self._window_index
        prefix_length = self._prefix_length
        version_index_of = self._version_index
        as_of_pairs = self.as_of_pairs
        sample_size = self.sample_size
        number = (float, int)
        chunk = self._chunk
        slots = chunk.slots(names)
        row = len(chunk)
        lines_total = accepted = 0
        base_accepted = self.accepted
        try:
            for line in lines:
                lines_total += 1
                start = line.find("{")
                if start < 0:
                    if line.strip():
                        self.non_json_lines += 1
                    else:
                        self.blank_lines += 1
                    continue
                try:
                    record = loads(line[start:] if start else line)
                except ValueError:
                    self.non_json_lines += 1
                    continue
                if type(record) is not dict:
                    self.non_json_lines += 1
                    continue
                event = record.get("event")
                if event != "prediction":
                    self.other_events[str(event)] += 1
                    continue
                try:
                    timestamp = record["timestamp"]
                    as_of = record["as_of"]
                    features = record["features"]
                    version = record["model_version"]
                    customer = record["customer_id"]
                    probability = record["probability"]
                    prediction = record["prediction"]
                    latency = record["latency_ms"]
                except KeyError as missing:
                    self.rejected[f"missing_{missing.args[0]}"] += 1
                    continue
                if not (
                    type(timestamp) is str
                    and type(as_of) is str
                    and len(as_of) == 10
                    and type(features) is dict
                    and type(version) is str
                    and (type(customer) is str or type(customer) is int)
                    and type(probability) in number
                    and type(latency) in number
                ):
                    self.rejected["wrong_type"] += 1
                    continue
                window = window_index.get(timestamp[:prefix_length])
                if window is None:
                    window = self._window(timestamp)
                    if window < 0:
                        self.rejected["bad_timestamp"] += 1
                        continue

                for name, column, null_rows, absent_rows, bad_type_rows in slots:
                    value = features.get(name, _MISSING)
                    kind = type(value)
                    if kind is float or kind is int:
                        column.append(value)
                        continue
                    column.append(math.nan)
                    if value is None:
                        null_rows.append(row)
                    elif value is _MISSING:
                        absent_rows.append(row)
                    else:
                        bad_type_rows.append(row)
                version_index = version_index_of.get(version)
                if version_index is None:
                    version_index = self._version(version)
                chunk.windows.append(window)
                chunk.versions.append(version_index)
                chunk.probabilities.append(probability)
                chunk.predictions.append(prediction)
                chunk.latencies.append(latency)
                as_of_pairs[(timestamp[:10], as_of)] += 1

                position = base_accepted + accepted
                if sample_size and (position < sample_size or position == self._next_sample_at):
                    self._offer_sample(position, record, str(customer))
                if outcomes is not None:
                    key = outcomes.key_of(record)
                    status = outcomes.status.get(key)
                    if status is not None:
                        # The last prediction for a key wins (a retried request is one decision).
                        self.labelled[key] = LabelledPrediction(
                            float(probability), window, version_index, status
                        )
                accepted += 1
                row += 1
                if row >= _CHUNK_ROWS:
                    self._flush()
                    chunk = self._chunk
                    slots = chunk.slots(names)
                    row = 0
        finally:
            self.lines_total += lines_total
            self.accepted += accepted
        self._flush()

    def _flush(self) -> None:
        chunk = self._chunk
        n_rows = len(chunk)
        if n_rows == 0:
            return
        self._chunk = _Chunk(len(self.feature_names))
        windows = np.asarray(chunk.windows, np.int64)
        n_windows = len(self.window_keys)
        self.window_rows += np.bincount(windows, minlength=n_windows)

        for j, reference in enumerate(self.references):
            values = np.asarray(chunk.columns[j], dtype=float)
            null = np.zeros(n_rows, bool)
            null[chunk.null_rows[j]] = True
            unusable = null.copy()
            unusable[chunk.bad_type_rows[j]] = True
            unusable[chunk.absent_rows[j]] = True
            self.bad_type[j] += len(chunk.bad_type_rows[j])
            self.absent[j] += len(chunk.absent_rows[j])
            non_finite = ~np.isfinite(values) & ~unusable
            self.non_finite_features[j] += int(non_finite.sum())
            self.null_counts[:, j] += np.bincount(windows[null], minlength=n_windows)

            usable = ~unusable & ~non_finite
            finite_values = values[usable]
            low, high = self._bounds[j]
            self.below_range[j] += int((finite_values < low).sum())
            self.above_range[j] += int((finite_values > high).sum())
            if self._integer[j]:
                self.non_integer[j] += int((finite_values != np.floor(finite_values)).sum())
            bins = reference.bin_index(finite_values)
            flat = windows[usable] * reference.n_bins + bins
            self.bin_counts[j] += np.bincount(flat, minlength=n_windows * reference.n_bins).reshape(
                n_windows, reference.n_bins
            )

        probabilities = np.asarray(chunk.probabilities, dtype=float)
        finite_probability = np.isfinite(probabilities)
        self.non_finite_probability += int((~finite_probability).sum())
        in_range = finite_probability & (probabilities >= 0) & (probabilities <= 1)
        self.probability_out_of_range += int((finite_probability & ~in_range).sum())
        predictions = np.asarray(
            [p if type(p) is int and p in (0, 1) else -1 for p in chunk.predictions], np.int64
        )
        self.bad_prediction += int((predictions < 0).sum())
        positive = predictions == 1
        self.window_predicted_positive += np.bincount(windows[positive], minlength=n_windows)
        self.window_probability_sum += np.bincount(
            windows[in_range], weights=probabilities[in_range], minlength=n_windows
        )

        latencies = np.asarray(chunk.latencies, dtype=float)
        finite_latency = np.isfinite(latencies) & (latencies >= 0)
        self.non_finite_latency += int((~finite_latency).sum())
        versions = np.asarray(chunk.versions, np.int64)
        for index, stats in enumerate(self.versions):
            mine = versions == index
            if not mine.any():
                continue
            stats.count += int(mine.sum())
            lat = latencies[mine & finite_latency]
            if lat.size:
                stats.latency_counts += np.bincount(latency_bins(lat), minlength=N_LATENCY_BINS)
                stats.latency_min = min(stats.latency_min, float(lat.min()))
                stats.latency_max = max(stats.latency_max, float(lat.max()))
                stats.latency_sum += float(lat.sum())
            prob = probabilities[mine & in_range]
            stats.probability_sum += float(prob.sum())
            stats.predicted_positive += int((positive & mine).sum())
            stats.probability_counts += np.bincount(
                np.minimum((prob * PROBABILITY_BINS).astype(np.int64), PROBABILITY_BINS - 1),
                minlength=PROBABILITY_BINS,
            )

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def skipped_lines(self) -> int:
        return self.non_json_lines + self.blank_lines + sum(self.other_events.values())
