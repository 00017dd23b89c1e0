"""`train` as a composition of stages: load -> split -> search -> fit -> evaluate -> gate ->
track -> register -> card. Each stage is a function of its inputs (see its module)."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model_training import candidates, registry, tracking
from model_training.config import Settings, TrainingConfig
from model_training.dataset import TrainingData, feature_matrix, load_training_data
from model_training.evaluation import (
    TestEvaluation,
    compare_with_champion,
    evaluate_on_test,
)
from model_training.gate import ChampionResult, GateInputs, GateVerdict, evaluate_gate
from model_training.model_card import CardInputs, write_model_card
from model_training.reference import baseline_values, reference_statistics
from model_training.search import SearchResult, search
from model_training.slices import load_raw_attributes
from model_training.split import Split, make_split, subsample

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    run_id: str
    candidate: str
    gate_passed: bool
    gate_reasons: list[str]
    model_version: str | None
    metrics: dict[str, float]  # test
    test_intervals: dict[str, dict[str, float]]
    baseline_metrics: dict[str, float]  # test
    candidate_validation_roc_auc: dict[str, float]
    threshold: float
    fingerprint: str
    split: dict[str, Any]
    final_fit: str
    timings: dict[str, float]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=float)


@dataclass
class Trained:
    """Search and fit results: the chosen model and the baseline, fitted on the training rows."""

    search: SearchResult
    fitted: dict[str, candidates.FittedCandidate]
    chosen: candidates.FittedCandidate
    plan: candidates.FitPlan


def train_candidates(frame: pd.DataFrame, split: Split, config: TrainingConfig) -> Trained:
    """The search and fit stages."""
    result = search(frame, split.train, config)
    per_row = max(result.seconds_per_row(name) for name in result.best_params)
    plan = candidates.plan_final_fit(split.train, per_row, config)
    fitted = candidates.fit_candidates(frame, split, result.best_params, plan, config)
    return Trained(result, fitted, candidates.choose(fitted), plan)


def bundle_summary(
    training: TrainingData, split: Split, trained: Trained, ev: TestEvaluation
) -> tuple[dict[str, Any], dict[str, Any]]:
    """training_summary.json and reference_statistics.json of the run (export reads them)."""
    frame = training.frame
    x_train = feature_matrix(frame.iloc[trained.plan.rows])
    summary = {
        "threshold": ev.threshold,
        "positive_rate": float(frame["status"].to_numpy()[trained.plan.rows].mean()),
        "training_data_fingerprint": training.fingerprint,
        "baseline_values": baseline_values(x_train),
        "split": split.fingerprint.to_dict(),
        "metrics": {
            k: ev.metrics[k]
            for k in ("roc_auc", "pr_auc", "ks", "brier", "ece", "precision", "recall")
        },
        "test_metrics": ev.test_metrics_document(),
    }
    serving = training.serving
    assert serving is not None
    reference = {
        "statistics": reference_statistics(serving.frame, ev.config.evaluation.reference_bins),
        "population": {
            "source": "online",
            "run_id": serving.run_id,
            "as_of": serving.as_of,
            "rows": len(serving.frame),
        },
    }
    return summary, reference


def run_tags(
    data: str,
    raw: str | None,
    training: TrainingData,
    split: Split,
    trained: Trained,
    verdict: GateVerdict,
    versions: dict[str, str],
    config: TrainingConfig,
) -> dict[str, str]:
    return {
        "data_fingerprint": training.fingerprint,
        "data_source": data,
        "raw_source": raw or "",
        "code_version": tracking.code_version(),
        "config_fingerprint": config.fingerprint(),
        "seed": str(config.seed),
        "candidate": trained.chosen.name,
        tracking.SPLIT_TAG: json.dumps(split.fingerprint.to_dict()),
        "search_truncated": str(trained.search.truncated).lower(),
        "final_fit_capped": str(trained.plan.capped).lower(),
        "gate_verdict": "pass" if verdict.passed else "fail",
        "gate_reasons": "; ".join(verdict.reasons)[:4000],
        **{f"lib.{k}": v for k, v in versions.items()},
    }


def record_run(
    data: str,
    raw: str | None,
    training: TrainingData,
    split: Split,
    trained: Trained,
    ev: TestEvaluation,
    verdict: GateVerdict,
    timings: dict[str, float],
) -> str:
    """The track stage: tags, params, metrics, evidence, the model; returns the model URI."""
    import mlflow

    config = ev.config
    versions = tracking.library_versions()
    tracking.log_evidence(
        tags=run_tags(data, raw, training, split, trained, verdict, versions, config),
        params={
            "candidate": trained.chosen.name,
            "seed": config.seed,
            "split_strategy": config.split.strategy,
            "test_cutoff": split.fingerprint.test_cutoff,
            "threshold_strategy": config.threshold.strategy,
            "threshold": ev.threshold,
            "train_rows_fitted": len(trained.plan.rows),
            "search_rows": trained.search.rows,
            **{f"model.{k}": v for k, v in trained.chosen.params.items()},
        },
        metrics={
            **ev.mlflow_metrics(),
            **timings,
            **{
                f"candidate_validation_auc_{k}": c.validation_roc_auc
                for k, c in trained.fitted.items()
            },
        },
        documents={
            "config.json": config.model_dump(mode="json"),
            "gate.json": verdict.to_dict(),
            "search.json": tracking.trials_document(trained.search),
            "split.json": split.fingerprint.to_dict(),
        },
        tables={
            "evaluation/slices.csv": ev.slices,
            "evaluation/reliability.csv": ev.reliability,
            "evaluation/feature_importance.csv": ev.importance,
            "evaluation/test_scores.parquet": ev.scores_table(),
        },
    )
    summary, reference = bundle_summary(training, split, trained, ev)
    parity = ev.x_validation.iloc[
        subsample(np.arange(len(ev.x_validation)), config.evaluation.parity_rows, config.seed)
    ]
    tracking.log_bundle_inputs(summary, reference, parity)
    uri = tracking.log_model(trained.chosen.pipeline, ev.x_validation.head(5), versions)
    mlflow.set_tag("reference_run_id", str(reference["population"]["run_id"]))
    return uri


def card_inputs(
    training: TrainingData, split: Split, trained: Trained, ev: TestEvaluation, **run: Any
) -> CardInputs:
    frame = training.frame
    serving = training.serving
    assert serving is not None
    return CardInputs(
        candidate=trained.chosen.name,
        params=trained.chosen.params,
        fit_plan=trained.plan.reason,
        candidate_aucs={k: c.validation_roc_auc for k, c in trained.fitted.items()},
        **ev.card_fields(),
        data={
            "source": training.source,
            "fingerprint": training.fingerprint,
            "rows": len(frame),
            "customers": int(frame["id"].nunique()),
            "train_rows": len(split.train),
            "validation_rows": len(split.validation),
            "test_rows": len(split.test),
        },
        split=split.fingerprint.to_dict(),
        reference={"rows": len(serving.frame), "run_id": serving.run_id, "as_of": serving.as_of},
        seed=ev.config.seed,
        code_version=tracking.code_version(),
        **run,
    )


@dataclass(frozen=True)
class Stages:
    """What the load, split, search, fit and evaluate stages produced."""

    data: str
    raw: str | None
    training: TrainingData
    split: Split
    trained: Trained
    ev: TestEvaluation


def log_champion_comparison(champion: ChampionResult | None) -> None:
    import mlflow

    if champion is not None and champion.comparison is not None:
        c = champion.comparison
        mlflow.log_metrics(
            {
                "champion_test_auc_difference": c.difference,
                "champion_test_auc_difference_ci_low": c.low,
                "champion_test_auc_difference_ci_high": c.high,
            }
        )


def log_model_card(
    s: Stages, model_name: str, version: str | None, run_id: str, verdict: GateVerdict
) -> None:
    import mlflow

    with tempfile.TemporaryDirectory(prefix="model-training-card-") as tmp:
        card = card_inputs(
            s.training,
            s.split,
            s.trained,
            s.ev,
            model_name=model_name,
            model_version=version or "unregistered (gate failed)",
            run_id=run_id,
            gate=verdict.to_dict(),
        )
        write_model_card(card, Path(tmp))
        mlflow.log_artifacts(tmp, tracking.MODEL_CARD)


def gate_track_register_card(
    s: Stages, settings: Settings, timings: dict[str, float]
) -> tuple[GateVerdict, str, str | None]:
    """The gate, track, register and card stages, in one MLflow run."""
    import mlflow

    config = s.ev.config
    client = registry.configure(settings)
    experiment_id = registry.ensure_experiment(
        client, config.experiment_name, settings.resolved_artifact_location()
    )
    champion = compare_with_champion(client, config, s.split, s.ev)
    verdict = evaluate_gate(
        GateInputs(s.ev.metrics, s.ev.slices, s.ev.feature_usefulness(), champion), config.gate
    )
    with mlflow.start_run(experiment_id=experiment_id) as run:
        run_id = run.info.run_id
        model_uri = record_run(
            s.data, s.raw, s.training, s.split, s.trained, s.ev, verdict, timings
        )
        log_champion_comparison(champion)
        version = None
        if verdict.passed:
            version = registry.register_challenger(
                client,
                config.registered_model_name,
                model_uri,
                run_id,
                {
                    "data_fingerprint": s.training.fingerprint,
                    "candidate": s.trained.chosen.name,
                    "test_roc_auc": f"{s.ev.metrics['roc_auc']:.6f}",
                },
            )
        log_model_card(s, config.registered_model_name, version, run_id, verdict)
    return verdict, run_id, version


def run_training(
    data: str,
    config: TrainingConfig,
    settings: Settings,
    raw: str | None = None,
    reference: str | None = None,
) -> TrainResult:

    clock = {"start": time.perf_counter()}
    training = load_training_data(data, reference)
    raw_attributes = load_raw_attributes(raw) if raw else None
    clock["loaded"] = time.perf_counter()
    split = make_split(training.frame, config.split)
    trained = train_candidates(training.frame, split, config)
    clock["fitted"] = time.perf_counter()
    ev = evaluate_on_test(
        training.frame, split, trained.chosen, trained.fitted, config, raw_attributes
    )
    clock["evaluated"] = time.perf_counter()

    timings = {
        "load_seconds": clock["loaded"] - clock["start"],
        "search_seconds": trained.search.seconds,
        "final_fit_seconds": sum(c.fit_seconds for c in trained.fitted.values()),
        "evaluate_seconds": clock["evaluated"] - clock["fitted"],
    }
    stages = Stages(data, raw, training, split, trained, ev)
    verdict, run_id, version = gate_track_register_card(stages, settings, timings)
    timings["total_seconds"] = time.perf_counter() - clock["start"]
    return TrainResult(
        run_id=run_id,
        candidate=trained.chosen.name,
        gate_passed=verdict.passed,
        gate_reasons=verdict.reasons,
        model_version=version,
        metrics=ev.metrics,
        test_intervals={k: v.to_dict() for k, v in ev.intervals.items()},
        baseline_metrics=ev.baseline_metrics,
        candidate_validation_roc_auc={k: c.validation_roc_auc for k, c in trained.fitted.items()},
        threshold=ev.threshold,
        fingerprint=training.fingerprint,
        split=split.fingerprint.to_dict(),
        final_fit=trained.plan.reason,
        timings=timings,
    )
