"""Per-feature explanations of one prediction, computed with the served model itself.

Two views, both against the bundle's ``baseline_values`` (training medians):

* **path** (additive): start from the baseline customer and switch the features to this
  customer's values one at a time, in bundle order. Each step's change in probability is that
  feature's contribution; the steps add up exactly to ``probability - baseline_probability``,
  so the explanation shows how the probability is reached.
* **occlusion** (order-free): the change in probability when only this feature is put back to
  its baseline value. It does not add up when features interact, but does not depend on order.

All variants are scored in one ONNX call, so an explanation costs about one prediction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from inference_service.model import ModelBundle

METHOD = (
    "path: starting from the baseline customer (training medians), features are switched to "
    "this customer's values one at a time in bundle order; each step's change in probability "
    "is that feature's path_contribution, and the steps add up to probability - "
    "baseline_probability. occlusion: probability minus the probability with only this "
    "feature at its baseline value."
)


@dataclass(frozen=True, slots=True)
class FeatureContribution:
    feature: str
    value: float | int | None
    baseline_value: float
    path_contribution: float
    probability_after_step: float
    occlusion_contribution: float


@dataclass(frozen=True, slots=True)
class Explanation:
    probability: float
    baseline_probability: float
    contributions: tuple[FeatureContribution, ...]


def explain(bundle: ModelBundle, features: Mapping[str, float | int | None]) -> Explanation:
    n = len(bundle.feature_names)
    actual = bundle.vectorize([features])[0]
    baseline = bundle.baseline_vector[0]

    # Row 0: actual; rows 1..n: path steps (baseline with the first k features switched,
    # row n being the actual vector again, which keeps indexing simple); rows n+1..2n:
    # actual with feature i put back to its baseline; row 2n+1: the baseline itself.
    variants = np.empty((2 * n + 2, n), dtype=np.float32)
    variants[0] = actual
    for k in range(1, n + 1):
        variants[k, :k] = actual[:k]
        variants[k, k:] = baseline[k:]
    for i in range(n):
        variants[n + 1 + i] = actual
        variants[n + 1 + i, i] = baseline[i]
    variants[2 * n + 1] = baseline
    proba = bundle.predict_proba(variants)

    probability = float(proba[0])
    baseline_probability = float(proba[2 * n + 1])
    contributions = []
    previous = baseline_probability
    for i, name in enumerate(bundle.feature_names):
        after = float(proba[1 + i])
        contributions.append(
            FeatureContribution(
                feature=name,
                value=features.get(name),
                baseline_value=bundle.baseline_values[name],
                path_contribution=after - previous,
                probability_after_step=after,
                occlusion_contribution=probability - float(proba[n + 1 + i]),
            )
        )
        previous = after
    return Explanation(probability, baseline_probability, tuple(contributions))
