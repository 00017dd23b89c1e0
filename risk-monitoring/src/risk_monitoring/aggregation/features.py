"""Served feature values counted into the reference's buckets per time window, with the
counters of the invariants check (absent, wrong type, not integral, out of range, non-finite)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from risk_monitoring.io.metadata import FeatureReference

_MISSING = object()


class FeatureColumns:
    """Column buffers of one chunk of accepted predictions (the parse loop fills them)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.values: list[list[Any]] = [[] for _ in names]
        # Row numbers (within the chunk) where a feature was null / absent / of a wrong type.
        self.null_rows: list[list[int]] = [[] for _ in names]
        self.absent_rows: list[list[int]] = [[] for _ in names]
        self.bad_type_rows: list[list[int]] = [[] for _ in names]
        self._slots = list(
            zip(
                names,
                self.values,
                self.null_rows,
                self.absent_rows,
                self.bad_type_rows,
                strict=True,
            )
        )

    def append(self, features: dict[str, Any], row: int) -> None:
        for name, column, null_rows, absent_rows, bad_type_rows in self._slots:
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


class FeatureSummary:
    def __init__(
        self, references: tuple[FeatureReference, ...], bounds: list[tuple[float, float]]
    ) -> None:
        n = len(references)
        self.references = references
        self.n_windows = 0
        self._bin_counts = [np.zeros((0, ref.n_value_buckets), np.int64) for ref in references]
        self._null_counts = np.zeros((0, n), np.int64)
        self.absent = np.zeros(n, np.int64)
        self.bad_type = np.zeros(n, np.int64)
        self.non_integer = np.zeros(n, np.int64)
        self.below_range = np.zeros(n, np.int64)
        self.above_range = np.zeros(n, np.int64)
        self.non_finite = np.zeros(n, np.int64)
        self._bounds = bounds
        self._integer = [ref.dtype == "int" for ref in references]

    def served_counts(self, j: int) -> np.ndarray:
        """Windows x buckets of feature j: value buckets, then nulls."""
        w = self.n_windows
        return np.column_stack([self._bin_counts[j][:w], self._null_counts[:w, j]])

    def null_total(self, j: int) -> int:
        return int(self._null_counts[: self.n_windows, j].sum())

    def _grow(self, n_windows: int) -> None:
        capacity = len(self._null_counts)
        if n_windows > capacity:
            extra = max(n_windows, 2 * capacity) - capacity
            self._bin_counts = [np.pad(c, ((0, extra), (0, 0))) for c in self._bin_counts]
            self._null_counts = np.pad(self._null_counts, ((0, extra), (0, 0)))
        self.n_windows = n_windows

    def add(self, columns: FeatureColumns, windows: np.ndarray, n_windows: int) -> None:
        self._grow(n_windows)
        for j in range(len(self.references)):
            self._add_feature(j, columns, windows)

    def _add_feature(self, j: int, columns: FeatureColumns, windows: np.ndarray) -> None:
        reference = self.references[j]
        values = np.asarray(columns.values[j], dtype=float)
        null = np.zeros(len(values), bool)
        null[columns.null_rows[j]] = True
        unusable = null.copy()
        unusable[columns.bad_type_rows[j]] = True
        unusable[columns.absent_rows[j]] = True
        self.bad_type[j] += len(columns.bad_type_rows[j])
        self.absent[j] += len(columns.absent_rows[j])
        non_finite = ~np.isfinite(values) & ~unusable
        self.non_finite[j] += int(non_finite.sum())
        w = self.n_windows
        self._null_counts[:w, j] += np.bincount(windows[null], minlength=w)

        usable = ~unusable & ~non_finite
        finite = values[usable]
        low, high = self._bounds[j]
        self.below_range[j] += int((finite < low).sum())
        self.above_range[j] += int((finite > high).sum())
        if self._integer[j]:
            self.non_integer[j] += int((finite != np.floor(finite)).sum())
        buckets = reference.n_value_buckets
        flat = windows[usable] * buckets + reference.bucket_index(finite)
        counts = np.bincount(flat, minlength=w * buckets)
        self._bin_counts[j][:w] += counts.reshape(w, buckets)
