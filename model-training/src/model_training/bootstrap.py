"""Percentile bootstrap over customers: confidence intervals and the paired comparison.

Loans of one customer share the customer's lateness, so rows are not independent; a replicate
resamples customers with replacement and weights each row by its customer's draw count. The
ranking metrics are computed on one presorted order per score vector with weighted cumulative
sums, which keeps a thousand replicates on ~200k rows to seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

_CHUNK = 16


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "ci_low": self.low, "ci_high": self.high}


class RankedScores:
    """Scores grouped by distinct value (ascending), ready for weighted ranking metrics."""

    def __init__(self, scores: np.ndarray, y: np.ndarray) -> None:
        self.order = np.argsort(scores, kind="mergesort")
        ordered = scores[self.order]
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        self.y = y[self.order].astype(np.float64)
        self.scores = ordered

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """ROC-AUC, PR-AUC (average precision), KS and Brier for each row of `weights`.

        A replicate without positives or negatives gives NaN (left out of the quantiles).
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._metrics(weights[:, self.order])

    def _metrics(self, w: np.ndarray) -> dict[str, np.ndarray]:
        pos = np.add.reduceat(w * self.y, self.starts, axis=1)
        neg = np.add.reduceat(w * (1.0 - self.y), self.starts, axis=1)
        total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
        neg_below = np.cumsum(neg, axis=1) - neg
        auc = (pos * (neg_below + 0.5 * neg)).sum(axis=1) / (total_pos * total_neg)
        # Descending thresholds for precision/recall: cumulate from the top group down.
        tp = np.cumsum(pos[:, ::-1], axis=1)
        fp = np.cumsum(neg[:, ::-1], axis=1)
        precision = tp / np.maximum(tp + fp, 1e-300)
        average_precision = (pos[:, ::-1] * precision).sum(axis=1) / total_pos
        ks = np.max(np.abs(tp / total_pos[:, None] - fp / total_neg[:, None]), axis=1)
        brier = (w * (self.scores - self.y) ** 2).sum(axis=1) / w.sum(axis=1)
        return {"roc_auc": auc, "pr_auc": average_precision, "ks": ks, "brier": brier}


def customer_weights(groups: np.ndarray, replicates: int, seed: int) -> Iterator[np.ndarray]:
    """Row weights of each replicate, `_CHUNK` replicates at a time (row = customer draw count)."""
    _, index = np.unique(groups, return_inverse=True)
    n = int(index.max()) + 1
    rng = np.random.default_rng(seed)
    for start in range(0, replicates, _CHUNK):
        size = min(_CHUNK, replicates - start)
        counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(size)])
        yield counts[:, index].astype(np.float64)


def _percentile(values: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.nanquantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def metric_intervals(
    y: np.ndarray,
    scores: np.ndarray,
    groups: np.ndarray,
    replicates: int,
    confidence: float,
    seed: int,
) -> dict[str, Interval]:
    ranked = RankedScores(np.asarray(scores, dtype=np.float64), np.asarray(y))
    point = {k: float(v[0]) for k, v in ranked.metrics(np.ones((1, len(y)))).items()}
    draws: dict[str, list[np.ndarray]] = {k: [] for k in point}
    for weights in customer_weights(groups, replicates, seed):
        for name, values in ranked.metrics(weights).items():
            draws[name].append(values)
    return {
        name: Interval(point[name], *_percentile(np.concatenate(draws[name]), confidence))
        for name in point
    }


@dataclass(frozen=True)
class PairedComparison:
    """ROC-AUC of a challenger minus a champion on the same rows, customers resampled jointly."""

    difference: float
    low: float  # two-sided interval at `confidence`
    high: float
    upper_one_sided: float  # the challenger is worse with `confidence` when this is < 0
    confidence: float
    replicates: int


def paired_auc_difference(
    y: np.ndarray,
    challenger: np.ndarray,
    champion: np.ndarray,
    groups: np.ndarray,
    replicates: int,
    confidence: float,
    seed: int,
) -> PairedComparison:
    ours = RankedScores(np.asarray(challenger, dtype=np.float64), np.asarray(y))
    theirs = RankedScores(np.asarray(champion, dtype=np.float64), np.asarray(y))
    ones = np.ones((1, len(y)))
    point = float(ours.metrics(ones)["roc_auc"][0] - theirs.metrics(ones)["roc_auc"][0])
    deltas = np.concatenate(
        [
            ours.metrics(w)["roc_auc"] - theirs.metrics(w)["roc_auc"]
            for w in customer_weights(groups, replicates, seed)
        ]
    )
    low, high = _percentile(deltas, confidence)
    upper = float(np.nanquantile(deltas, confidence))
    return PairedComparison(point, low, high, upper, confidence, replicates)
