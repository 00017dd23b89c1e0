"""Reference statistics of the serving population (bundle schema_version 2).

Numeric features: quantile bin edges of the non-null values (duplicates removed) with counts per
bin, numpy-histogram semantics ([e_i, e_i+1), last bin closed). Categorical features: a count
per value. Nulls are counted apart in both, and counts (not shares) are kept so a consumer knows
the sample size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from model_training.contract import FEATURE_KINDS, FEATURES


def numeric_statistics(values: np.ndarray, n_bins: int) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    if len(present):
        edges = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)))
        if len(edges) == 1:  # a constant feature still needs one bin
            edges = np.array([edges[0], edges[0] + 1.0])
        counts, _ = np.histogram(present, bins=edges)
    else:
        edges, counts = np.array([]), np.array([], dtype=int)
    return {
        "kind": "numeric",
        "bin_edges": [float(e) for e in edges],
        "counts": [int(c) for c in counts],
        "null_count": int(len(values) - len(present)),
    }


def categorical_statistics(values: np.ndarray) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    distinct, counts = np.unique(present, return_counts=True)
    return {
        "kind": "categorical",
        "counts": {_label(v): int(c) for v, c in zip(distinct, counts, strict=True)},
        "null_count": int(len(values) - len(present)),
    }


def _label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def reference_statistics(x: pd.DataFrame, n_bins: int) -> dict[str, dict[str, Any]]:
    stats = {}
    for feature in FEATURES:
        values = x[feature].to_numpy(dtype="float64")
        if FEATURE_KINDS[feature] == "categorical":
            stats[feature] = categorical_statistics(values)
        else:
            stats[feature] = numeric_statistics(values, n_bins)
    return stats


def baseline_values(x: pd.DataFrame) -> dict[str, float]:
    """Training medians: the reference point for per-feature contribution explanations."""
    medians = {}
    for feature in FEATURES:
        present = x[feature].dropna()
        # An all-null feature (never seen in training) contributes nothing: baseline 0.
        medians[feature] = float(present.median()) if len(present) else 0.0
    return medians
