"""The `train` and `export` stages end to end (the CLI is a thin shell over these)."""

from __future__ import annotations

import json
import logging
import platform
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model_training import evaluate, export, gate, registry, train
from model_training.config import Settings, TrainingConfig
from model_training.contract import CUSTOMER_ID, FEATURES, LABEL
from model_training.data import (
    feature_matrix,
    load_raw_attributes,
    load_training_data,
    make_split,
    slice_attributes,
    subsample,
)
from model_training.model_card import CardInputs, write_model_card
from model_training.predict import predict_proba

log = logging.getLogger(__name__)

_LIBRARIES = (
    "scikit-learn",
    "numpy",
    "pandas",
    "mlflow",
    "skl2onnx",
    "onnx",
    "onnxruntime",
    "model-training",
)
BUNDLE_INPUTS = "bundle_inputs"
SKOPS_TRUSTED_TYPES = ("numpy.dtype", "sklearn.tree._tree.Tree")
MODEL_CARD = "model_card"


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def code_version() -> str:
    """git commit of the checkout (with -dirty), else the installed package version."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"{sha}{'-dirty' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return f"model-training=={importlib_metadata.version('model-training')}"


@dataclass
class TrainResult:
    run_id: str
    candidate: str
    gate_passed: bool
    gate_reasons: list[str]
    model_version: str | None
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    threshold: float
    fingerprint: str
    search_seconds: float
    total_seconds: float
    timings: dict[str, float]
    candidate_validation_roc_auc: dict[str, float]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=float)


@dataclass
class Evaluation:
    """Everything computed before MLflow is touched (pure function of data + config)."""

    chosen: train.FittedCandidate
    baseline: train.FittedCandidate
    candidates: dict[str, train.FittedCandidate]
    search: train.SearchResult
    threshold: float
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    slices: pd.DataFrame
    reliability: pd.DataFrame
    x_validation: pd.DataFrame
    y_validation: np.ndarray
    x_train_all: pd.DataFrame
    y_train_all: np.ndarray
    train_rows_fitted: int
    validation_customers: int


def evaluate_candidates(
    frame: pd.DataFrame, config: TrainingConfig, raw_attributes: pd.DataFrame | None
) -> Evaluation:
    split = make_split(
        frame, config.split.strategy, config.split.validation_fraction, config.split.salt
    )
    search = train.search(frame, split.train, config)
    fitted, fitted_rows = train.fit_candidates(frame, split, search.best_params, config)
    chosen = train.choose(fitted)
    baseline = fitted[train.BASELINE]

    validation = frame.iloc[split.validation]
    x_val = feature_matrix(validation)
    y_val = validation[LABEL].to_numpy()
    threshold = evaluate.choose_threshold(
        y_val, chosen.validation_scores, config.threshold.strategy, config.threshold.target_recall
    )
    baseline_threshold = evaluate.choose_threshold(
        y_val, baseline.validation_scores, config.threshold.strategy, config.threshold.target_recall
    )
    bins = config.evaluation.calibration_bins
    metrics = evaluate.compute_metrics(y_val, chosen.validation_scores, threshold, bins)
    baseline_metrics = evaluate.compute_metrics(
        y_val, baseline.validation_scores, baseline_threshold, bins
    )
    slices = evaluate.slice_metrics(
        slice_attributes(validation, raw_attributes, config.evaluation.age_band_edges),
        y_val,
        chosen.validation_scores,
        threshold,
    )
    train_all = frame.iloc[split.train]
    return Evaluation(
        chosen=chosen,
        baseline=baseline,
        candidates=fitted,
        search=search,
        threshold=threshold,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        slices=slices,
        reliability=evaluate.reliability_table(y_val, chosen.validation_scores, bins),
        x_validation=x_val,
        y_validation=y_val,
        x_train_all=feature_matrix(train_all),
        y_train_all=train_all[LABEL].to_numpy(),
        train_rows_fitted=len(fitted_rows),
        validation_customers=int(validation[CUSTOMER_ID].nunique()),
    )


def _champion_auc(
    client: Any, config: TrainingConfig, x_val: pd.DataFrame, y_val: np.ndarray
) -> tuple[float | None, str | None, str | None]:
    """Champion ROC-AUC on the challenger's validation rows; (None, None, error) if unusable."""
    import mlflow.sklearn
    from sklearn.metrics import roc_auc_score

    champion = registry.version_by_alias(client, config.registered_model_name, registry.CHAMPION)
    if champion is None:
        return None, None, None
    try:
        model = mlflow.sklearn.load_model(
            f"models:/{config.registered_model_name}/{champion.version}"
        )
        scores = predict_proba(model, x_val)
    except Exception as exc:  # a champion we cannot score must not wave a challenger through
        return None, str(champion.version), f"champion v{champion.version} unusable: {exc}"
    return float(roc_auc_score(y_val, scores)), str(champion.version), None


def run_training(
    data: str,
    config: TrainingConfig,
    settings: Settings,
    raw: str | None = None,
) -> TrainResult:
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    started = time.perf_counter()
    training = load_training_data(data)
    raw_attributes = load_raw_attributes(raw) if raw else None
    frame = training.frame
    loaded = time.perf_counter()
    ev = evaluate_candidates(frame, config, raw_attributes)
    evaluated = time.perf_counter()
    timings = {
        "load_seconds": loaded - started,
        "search_seconds": ev.search.seconds,
        "final_fit_seconds": sum(c.fit_seconds for c in ev.candidates.values()),
        "evaluate_seconds": evaluated - loaded,  # search + final fits + metrics
    }

    client = registry.configure(settings.resolved_tracking_uri())
    experiment_id = registry.ensure_experiment(
        client, config.experiment_name, settings.resolved_artifact_location()
    )
    champion_auc, champion_version, champion_error = _champion_auc(
        client, config, ev.x_validation, ev.y_validation
    )
    verdict = gate.evaluate_gate(ev.metrics, ev.slices, config.gate, champion_auc, champion_version)
    if champion_error is not None:
        verdict.checks.append(gate.Check("champion_comparison", False, champion_error))

    versions = library_versions()
    with mlflow.start_run(experiment_id=experiment_id) as run:
        run_id = run.info.run_id
        mlflow.set_tags(
            {
                "data_fingerprint": training.fingerprint,
                "data_source": data,
                "raw_source": raw or "",
                "code_version": code_version(),
                "config_fingerprint": config.fingerprint(),
                "seed": str(config.seed),
                "candidate": ev.chosen.name,
                "split_strategy": config.split.strategy,
                "search_truncated": str(ev.search.truncated).lower(),
                "gate_verdict": "pass" if verdict.passed else "fail",
                "gate_reasons": "; ".join(verdict.reasons)[:4000],
                **{f"lib.{k}": v for k, v in versions.items()},
            }
        )
        mlflow.log_params(
            {
                "candidate": ev.chosen.name,
                "seed": config.seed,
                "split_strategy": config.split.strategy,
                "validation_fraction": config.split.validation_fraction,
                "threshold_strategy": config.threshold.strategy,
                "threshold": ev.threshold,
                "train_rows_fitted": ev.train_rows_fitted,
                "search_rows": ev.search.rows,
                **{f"model.{k}": v for k, v in ev.chosen.params.items()},
                **{f"baseline.{k}": v for k, v in ev.baseline.params.items()},
            }
        )
        mlflow.log_metrics({f"validation_{k}": v for k, v in ev.metrics.items()})
        mlflow.log_metrics({f"baseline_validation_{k}": v for k, v in ev.baseline_metrics.items()})
        mlflow.log_metrics(
            {f"candidate_auc_{k}": c.validation_roc_auc for k, c in ev.candidates.items()}
        )
        mlflow.log_metrics(timings)
        single = evaluate.single_feature_auc(ev.x_validation, ev.y_validation)
        mlflow.log_metrics({f"single_feature_auc_{k}": v for k, v in single.items()})
        if champion_auc is not None:
            mlflow.log_metric("champion_validation_roc_auc", champion_auc)
        mlflow.log_dict(config.model_dump(mode="json"), "config.json")
        mlflow.log_dict(verdict.to_dict(), "gate.json")
        mlflow.log_dict(
            {
                "truncated": ev.search.truncated,
                "seconds": ev.search.seconds,
                "rows": ev.search.rows,
                "trials": [asdict(t) for t in ev.search.trials],
            },
            "search.json",
        )
        mlflow.log_text(ev.slices.to_csv(index=False), "evaluation/slices.csv")
        mlflow.log_text(ev.reliability.to_csv(index=False), "evaluation/reliability.csv")

        example = ev.x_validation.head(5)
        signature = infer_signature(example, ev.chosen.pipeline.predict_proba(example))
        model_info = mlflow.sklearn.log_model(
            ev.chosen.pipeline,
            name="model",
            signature=signature,
            input_example=example,
            # Pinned instead of inferred: inference re-imports the model in a subprocess (slow)
            pip_requirements=[
                f"scikit-learn=={versions['scikit-learn']}",
                f"numpy=={versions['numpy']}",
                f"pandas=={versions['pandas']}",
            ],
            pyfunc_predict_fn="predict_proba",
            # skops (not pickle) serialisation. These are the only types skops does not trust by
            # default (checked with skops.io.get_untrusted_types for every candidate); the
            # model files are written by this job into our own artifact store.
            skops_trusted_types=list(SKOPS_TRUSTED_TYPES),
        )

        with tempfile.TemporaryDirectory(prefix="model-training-") as tmp:
            inputs_dir = Path(tmp) / BUNDLE_INPUTS
            inputs_dir.mkdir()
            summary = {
                "threshold": ev.threshold,
                "threshold_strategy": config.threshold.strategy,
                "positive_rate": float(ev.y_train_all.mean()),
                "training_data_fingerprint": training.fingerprint,
                "baseline_values": export.baseline_values(ev.x_train_all),
                "metrics": {
                    k: ev.metrics[k]
                    for k in ("roc_auc", "pr_auc", "ks", "brier", "ece", "precision", "recall")
                },
                "features": list(FEATURES),
            }
            (inputs_dir / "training_summary.json").write_text(json.dumps(summary, indent=2))
            reference = export.reference_statistics(
                ev.x_train_all, config.evaluation.reference_bins
            )
            (inputs_dir / "reference_statistics.json").write_text(json.dumps(reference, indent=2))
            parity = ev.x_validation.iloc[
                subsample(
                    np.arange(len(ev.x_validation)), config.evaluation.parity_rows, config.seed
                )
            ]
            parity.to_parquet(inputs_dir / "validation_sample.parquet", index=False)
            mlflow.log_artifacts(str(inputs_dir), BUNDLE_INPUTS)

            model_version: str | None = None
            if verdict.passed:
                version = registry.register(
                    client,
                    config.registered_model_name,
                    model_info.model_uri,
                    run_id,
                    tags={
                        "gate_verdict": "pass",
                        "data_fingerprint": training.fingerprint,
                        "candidate": ev.chosen.name,
                        "validation_roc_auc": f"{ev.metrics['roc_auc']:.6f}",
                    },
                )
                model_version = str(version.version)
                registry.set_challenger(client, config.registered_model_name, model_version)
                mlflow.set_tag("registered_version", model_version)

            card_dir = Path(tmp) / MODEL_CARD
            importance = evaluate.feature_importance(
                ev.chosen.pipeline,
                ev.x_validation,
                ev.y_validation,
                config.evaluation.permutation_repeats,
                config.evaluation.permutation_max_rows,
                config.seed,
            )
            mlflow.log_text(importance.to_csv(index=False), "evaluation/feature_importance.csv")
            write_model_card(
                CardInputs(
                    model_name=config.registered_model_name,
                    model_version=model_version or "unregistered (gate failed)",
                    run_id=run_id,
                    candidate=ev.chosen.name,
                    params=ev.chosen.params,
                    metrics=ev.metrics,
                    baseline_metrics=ev.baseline_metrics,
                    candidate_aucs={k: c.validation_roc_auc for k, c in ev.candidates.items()},
                    threshold_strategy=config.threshold.strategy,
                    slices=ev.slices,
                    reliability=ev.reliability,
                    importance=importance,
                    single_feature_auc=single,
                    y_validation=ev.y_validation,
                    scores=ev.chosen.validation_scores,
                    baseline_scores=ev.baseline.validation_scores,
                    gate=verdict.to_dict(),
                    data={
                        "source": data,
                        "fingerprint": training.fingerprint,
                        "rows": len(frame),
                        "customers": int(frame[CUSTOMER_ID].nunique()),
                        "train_rows": len(ev.x_train_all),
                        "validation_rows": len(ev.x_validation),
                    },
                    split_strategy=config.split.strategy,
                    seed=config.seed,
                    code_version=code_version(),
                ),
                card_dir,
            )
            mlflow.log_artifacts(str(card_dir), MODEL_CARD)

    return TrainResult(
        run_id=run_id,
        candidate=ev.chosen.name,
        gate_passed=verdict.passed,
        gate_reasons=verdict.reasons,
        model_version=model_version,
        metrics=ev.metrics,
        baseline_metrics=ev.baseline_metrics,
        threshold=ev.threshold,
        fingerprint=training.fingerprint,
        search_seconds=ev.search.seconds,
        total_seconds=time.perf_counter() - started,
        timings={**timings, "log_register_card_seconds": time.perf_counter() - evaluated},
        candidate_validation_roc_auc={k: c.validation_roc_auc for k, c in ev.candidates.items()},
    )


def run_export(
    settings: Settings,
    model_name: str,
    out_dir: Path,
    alias: str | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    import mlflow.artifacts
    import mlflow.sklearn

    client = registry.configure(settings.resolved_tracking_uri())
    if (alias is None) == (version is None):
        raise export.ExportError("give exactly one of --alias or --version")
    if alias is not None:
        model_version = registry.version_by_alias(client, model_name, alias)
        if model_version is None:
            raise export.ExportError(f"{model_name} has no version with alias {alias!r}")
    else:
        model_version = registry.get_version(client, model_name, str(version))
    if model_version.tags.get("gate_verdict") != "pass":
        raise export.ExportError(f"version {model_version.version} did not pass the gate")
    run_id = model_version.run_id or model_version.tags.get("run_id")
    if not run_id:
        raise export.ExportError(f"version {model_version.version} has no source run")

    pipeline = mlflow.sklearn.load_model(f"models:/{model_name}/{model_version.version}")
    with tempfile.TemporaryDirectory(prefix="model-training-export-") as tmp:
        inputs = Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=BUNDLE_INPUTS, dst_path=tmp
            )
        )
        card_dir = Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=MODEL_CARD, dst_path=tmp
            )
        )
        summary = json.loads((inputs / "training_summary.json").read_text())
        reference = json.loads((inputs / "reference_statistics.json").read_text())
        parity_rows = pd.read_parquet(inputs / "validation_sample.parquet")
        metadata = export.build_metadata(
            model_name=model_name,
            model_version=str(model_version.version),
            run_id=run_id,
            threshold=summary["threshold"],
            fingerprint=summary["training_data_fingerprint"],
            positive_rate=summary["positive_rate"],
            reference=reference,
            baselines=summary["baseline_values"],
            metrics=summary["metrics"],
            trained_at=datetime.fromtimestamp(client.get_run(run_id).info.start_time / 1000, UTC),
        )
        report = export.write_bundle(
            out_dir,
            pipeline=pipeline,
            parity_rows=parity_rows,
            metadata=metadata,
            model_card_dir=card_dir,
        )
    report["model_version"] = str(model_version.version)
    return report
