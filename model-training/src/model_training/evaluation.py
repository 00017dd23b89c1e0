"""The evaluate stage: threshold on validation, every reported figure on the untouched test
rows (with customer-bootstrap intervals), and the champion scored on those same rows."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from mlflow import MlflowClient
from sklearn.metrics import roc_auc_score

from model_training import evaluate, registry, tracking
from model_training.bootstrap import Interval, metric_intervals, paired_auc_difference
from model_training.candidates import BASELINE, FittedCandidate, predict_proba
from model_training.config import TrainingConfig
from model_training.contract import CUSTOMER_ID, FEATURES, LABEL, LOAN_ID
from model_training.dataset import feature_matrix
from model_training.gate import ChampionResult
from model_training.slices import slice_attributes
from model_training.split import Split

log = logging.getLogger(__name__)


@dataclass
class TestEvaluation:
    config: TrainingConfig
    threshold: float
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    intervals: dict[str, Interval]
    segments: dict[str, float]
    slices: pd.DataFrame
    reliability: pd.DataFrame
    importance: pd.DataFrame
    single_feature_auc: dict[str, float]
    x_validation: pd.DataFrame
    x_test: pd.DataFrame
    loan_ids: np.ndarray
    customers: np.ndarray
    y: np.ndarray
    scores: np.ndarray
    baseline_scores: np.ndarray

    def feature_usefulness(self) -> dict[str, tuple[float, float]]:
        importance = self.importance.set_index("feature")["importance_mean"]
        return {f: (float(importance[f]), self.single_feature_auc[f]) for f in FEATURES}

    def test_metrics_document(self) -> dict[str, Any]:
        return {
            "rows": len(self.y),
            "customers": len(np.unique(self.customers)),
            "positives": int(self.y.sum()),
            "interval": {
                "confidence": self.config.evaluation.confidence,
                "method": "percentile bootstrap over customers",
                "replicates": self.config.evaluation.bootstrap_replicates,
            },
            "values": {k: v.to_dict() for k, v in self.intervals.items()},
            "segments_roc_auc": self.segments,
        }

    def mlflow_metrics(self) -> dict[str, float]:
        figures = {f"test_{k}": v for k, v in self.metrics.items() if np.isfinite(v)}
        for name, interval in self.intervals.items():
            figures[f"test_{name}_ci_low"] = interval.low
            figures[f"test_{name}_ci_high"] = interval.high
        figures.update(
            {f"baseline_test_{k}": v for k, v in self.baseline_metrics.items() if np.isfinite(v)}
        )
        figures.update({f"test_roc_auc_{k}": v for k, v in self.segments.items()})
        figures.update({f"single_feature_auc_{k}": v for k, v in self.single_feature_auc.items()})
        return figures

    def scores_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                LOAN_ID: self.loan_ids,
                CUSTOMER_ID: self.customers,
                LABEL: self.y,
                "score": self.scores,
                "baseline_score": self.baseline_scores,
            }
        )

    def card_fields(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "baseline_metrics": self.baseline_metrics,
            "test_intervals": self.intervals,
            "confidence": self.config.evaluation.confidence,
            "segments": self.segments,
            "threshold_strategy": self.config.threshold.strategy,
            "slices": self.slices,
            "reliability": self.reliability,
            "importance": self.importance,
            "single_feature_auc": self.single_feature_auc,
            "y_test": self.y,
            "scores": self.scores,
            "baseline_scores": self.baseline_scores,
        }


def _segments(y: np.ndarray, scores: np.ndarray, held_out: np.ndarray) -> dict[str, float]:
    result = {}
    for name, mask in (("held_out_customers", held_out), ("later_months", ~held_out)):
        if len(np.unique(y[mask])) == 2:
            result[name] = float(roc_auc_score(y[mask], scores[mask]))
    return result


def evaluate_on_test(
    frame: pd.DataFrame,
    split: Split,
    chosen: FittedCandidate,
    fitted: dict[str, FittedCandidate],
    config: TrainingConfig,
    raw_attributes: pd.DataFrame | None,
) -> TestEvaluation:
    validation, test = frame.iloc[split.validation], frame.iloc[split.test]
    strategy, recall = config.threshold.strategy, config.threshold.target_recall
    y_val = validation[LABEL].to_numpy()
    threshold = evaluate.choose_threshold(y_val, chosen.validation_scores, strategy, recall)
    baseline = fitted[BASELINE]
    baseline_threshold = evaluate.choose_threshold(
        y_val, baseline.validation_scores, strategy, recall
    )
    x_test, y = feature_matrix(test), test[LABEL].to_numpy()
    scores = predict_proba(chosen.pipeline, x_test)
    baseline_scores = predict_proba(baseline.pipeline, x_test)
    bins, ev = config.evaluation.calibration_bins, config.evaluation
    return TestEvaluation(
        config=config,
        threshold=threshold,
        metrics=evaluate.compute_metrics(y, scores, threshold, bins),
        baseline_metrics=evaluate.compute_metrics(y, baseline_scores, baseline_threshold, bins),
        intervals=metric_intervals(
            y,
            scores,
            test[CUSTOMER_ID].to_numpy(),
            ev.bootstrap_replicates,
            ev.confidence,
            config.seed,
        ),
        segments=_segments(y, scores, split.held_out_customer),
        slices=evaluate.slice_metrics(
            slice_attributes(test, raw_attributes, ev.age_band_edges), y, scores, threshold
        ),
        reliability=evaluate.reliability_table(y, scores, bins),
        importance=evaluate.permutation_importance_table(
            chosen.pipeline,
            x_test,
            y,
            ev.permutation_repeats,
            ev.permutation_max_rows,
            config.seed,
        ),
        single_feature_auc=evaluate.single_feature_auc(x_test, y),
        x_validation=feature_matrix(validation),
        x_test=x_test,
        loan_ids=test[LOAN_ID].to_numpy(),
        customers=test[CUSTOMER_ID].to_numpy(),
        y=y,
        scores=scores,
        baseline_scores=baseline_scores,
    )


def compare_with_champion(
    client: MlflowClient, config: TrainingConfig, split: Split, ev: TestEvaluation
) -> ChampionResult | None:
    """The champion on the challenger's test rows (paired bootstrap), or why it cannot be."""
    import mlflow.sklearn

    name = config.registered_model_name
    champion = registry.version_by_alias(client, name, registry.CHAMPION)
    if champion is None:
        return None
    version = str(champion.version)
    try:
        tag = client.get_run(str(champion.run_id)).data.tags.get(tracking.SPLIT_TAG)
        if not tag:
            return ChampionResult(version, refused="its run recorded no split fingerprint")
        unfair = split.fingerprint.unfair_against(json.loads(tag))
        if unfair:
            return ChampionResult(version, refused=f"not comparable: {unfair}")
        model = mlflow.sklearn.load_model(f"models:/{name}/{version}")
        champion_scores = predict_proba(model, ev.x_test)
    except Exception as exc:  # a champion we cannot score must not wave a challenger through
        return ChampionResult(version, refused=f"unusable: {exc}")
    comparison = paired_auc_difference(
        ev.y,
        ev.scores,
        champion_scores,
        ev.customers,
        config.evaluation.bootstrap_replicates,
        config.gate.champion_confidence,
        config.seed,
    )
    return ChampionResult(version, comparison=comparison)
