"""Probabilities, decisions and latencies per time window and per model version."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from risk_monitoring.aggregation.latency_histogram import N_LATENCY_BINS, latency_bins

PROBABILITY_BINS = 20


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

    def add(self, latencies: np.ndarray, probabilities: np.ndarray, positives: int) -> None:
        """One chunk of this version: finite latencies, in-range probabilities."""
        if latencies.size:
            self.latency_counts += np.bincount(latency_bins(latencies), minlength=N_LATENCY_BINS)
            self.latency_min = min(self.latency_min, float(latencies.min()))
            self.latency_max = max(self.latency_max, float(latencies.max()))
            self.latency_sum += float(latencies.sum())
        self.probability_sum += float(probabilities.sum())
        self.predicted_positive += positives
        bins = np.minimum((probabilities * PROBABILITY_BINS).astype(np.int64), PROBABILITY_BINS - 1)
        self.probability_counts += np.bincount(bins, minlength=PROBABILITY_BINS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "predicted_positive_rate": self.predicted_positive / self.count if self.count else None,
            "mean_probability": self.probability_sum / self.count if self.count else None,
            "probability_histogram": self.probability_counts.tolist(),
        }


class PredictionSummary:
    def __init__(self) -> None:
        self.window_rows = np.zeros(0, np.int64)
        self.window_probability_sum = np.zeros(0)
        self.window_predicted_positive = np.zeros(0, np.int64)
        self.versions: list[VersionStats] = []
        self.non_finite_probability = 0
        self.probability_out_of_range = 0
        self.bad_prediction = 0
        self.bad_latency = 0

    def _grow(self, n_windows: int, n_versions: int) -> None:
        extra = n_windows - len(self.window_rows)
        if extra > 0:
            self.window_rows = np.pad(self.window_rows, (0, extra))
            self.window_probability_sum = np.pad(self.window_probability_sum, (0, extra))
            self.window_predicted_positive = np.pad(self.window_predicted_positive, (0, extra))
        self.versions.extend(VersionStats() for _ in range(n_versions - len(self.versions)))

    def add(
        self,
        windows: np.ndarray,
        versions: np.ndarray,
        probabilities: list[Any],
        predictions: list[Any],
        latencies: list[Any],
        *,
        n_windows: int,
        n_versions: int,
    ) -> None:
        self._grow(n_windows, n_versions)
        probability = np.asarray(probabilities, dtype=float)
        finite = np.isfinite(probability)
        in_range = finite & (probability >= 0) & (probability <= 1)
        self.non_finite_probability += int((~finite).sum())
        self.probability_out_of_range += int((finite & ~in_range).sum())
        decision = np.asarray(
            [p if type(p) is int and p in (0, 1) else -1 for p in predictions], np.int64
        )
        self.bad_prediction += int((decision < 0).sum())
        positive = decision == 1
        self.window_rows += np.bincount(windows, minlength=n_windows)
        self.window_predicted_positive += np.bincount(windows[positive], minlength=n_windows)
        self.window_probability_sum += np.bincount(
            windows[in_range], weights=probability[in_range], minlength=n_windows
        )
        latency = np.asarray(latencies, dtype=float)
        good_latency = np.isfinite(latency) & (latency >= 0)
        self.bad_latency += int((~good_latency).sum())
        for index, stats in enumerate(self.versions):
            mine = versions == index
            count = int(mine.sum())
            if count:
                stats.count += count
                stats.add(
                    latency[mine & good_latency],
                    probability[mine & in_range],
                    int((positive & mine).sum()),
                )

    def windows_as_dict(self, keys: list[str]) -> dict[str, Any]:
        rows = self.window_rows
        with np.errstate(invalid="ignore", divide="ignore"):
            positive_rate = np.where(rows > 0, self.window_predicted_positive / rows, np.nan)
            mean_probability = np.where(rows > 0, self.window_probability_sum / rows, np.nan)
        return {
            "keys": list(keys),
            "rows": rows.tolist(),
            "predicted_positive_rate": [None if np.isnan(v) else float(v) for v in positive_rate],
            "mean_probability": [None if np.isnan(v) else float(v) for v in mean_probability],
        }
