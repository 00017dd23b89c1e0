"""Typed configuration.

* `TrainingConfig` - what is trained and how it is judged. The defaults embedded in the package
  (`default_config.yaml`), deep-merged with an optional YAML file, then with environment
  overrides (`MODEL_TRAINING_<SECTION>_<FIELD>` for the `split`, `search`, `training`,
  `evaluation` and `gate` sections: how a market's CodeBuild project sets its gate thresholds
  and budget), validated by pydantic (unknown keys are errors).
* `Settings` - where runs and models are stored (tracking URI, artifact location, database auth).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CANDIDATE_NAMES = ("logistic_regression", "hist_gradient_boosting", "random_forest")
ENV_PREFIX = "MODEL_TRAINING_"
ENV_SECTIONS = ("split", "search", "training", "evaluation", "gate")


class ConfigError(ValueError):
    """The configuration file is unreadable or does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitConfig(_Strict):
    # customer: validation customers by a salted hash; time: validation = the latest loans
    # before the test months. The test set is the same for both (see README "Split").
    strategy: Literal["customer", "time"] = "customer"
    validation_fraction: float = Field(default=0.15, gt=0.0, lt=0.5)
    test_fraction: float = Field(default=0.15, gt=0.0, lt=0.5)
    # The latest calendar months of loans (all customers) are test data too.
    test_months: int = Field(default=3, ge=0, le=24)
    # Salt of the customer hash; kept apart from `seed` so retraining with another seed keeps
    # the same test customers (fair champion comparison). Change it only deliberately.
    salt: int = 20260101


class SearchConfig(_Strict):
    max_rows: int = Field(default=30_000, ge=100)
    inner_validation_fraction: float = Field(default=0.25, gt=0.0, lt=0.9)
    trials_per_candidate: int = Field(default=4, ge=1)
    time_budget_seconds: float = Field(default=60.0, gt=0)


class TrainingSizeConfig(_Strict):
    # The final fits use every training row unless their estimated time exceeds this budget.
    time_budget_seconds: float = Field(default=90.0, gt=0)
    n_jobs: int = Field(default=2, ge=1)


class CandidateConfig(_Strict):
    enabled: bool = True
    grid: dict[str, list[Any]] = Field(default_factory=dict)

    @field_validator("grid")
    @classmethod
    def _non_empty_lists(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, values in grid.items():
            if not values:
                raise ValueError(f"grid entry {name!r} has no values")
        return grid


class ThresholdConfig(_Strict):
    strategy: Literal["max_f1", "target_recall"] = "max_f1"
    target_recall: float = Field(default=0.5, gt=0.0, le=1.0)


class EvaluationConfig(_Strict):
    calibration_bins: int = Field(default=10, ge=2)
    age_band_edges: list[int] = Field(default_factory=lambda: [25, 35, 45, 55, 65])
    permutation_repeats: int = Field(default=3, ge=1)
    permutation_max_rows: int = Field(default=30_000, ge=100)
    parity_rows: int = Field(default=5_000, ge=10)
    reference_bins: int = Field(default=10, ge=2)
    # Percentile bootstrap over customers (rows of one customer are not independent).
    bootstrap_replicates: int = Field(default=500, ge=50)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)

    @field_validator("age_band_edges")
    @classmethod
    def _increasing(cls, edges: list[int]) -> list[int]:
        if not edges or any(b <= a for a, b in pairwise(edges)):
            raise ValueError("age_band_edges must be a non-empty strictly increasing list")
        return edges


class GateConfig(_Strict):
    min_roc_auc: float = Field(default=0.6, ge=0.0, le=1.0)
    # PR-AUC divided by the test positive rate (1.0 = no better than random ranking).
    min_pr_auc_lift: float = Field(default=1.1, ge=0.0)
    # ECE as a share of the test base rate: an absolute ECE bound means nothing for a 1.5% event.
    max_ece_to_base_rate: float = Field(default=0.5, gt=0.0)
    min_slice_roc_auc: float = Field(default=0.5, ge=0.0, le=1.0)
    # Slices with fewer positives than this are reported but not gated (AUC too noisy).
    min_slice_positives: int = Field(default=30, ge=1)
    # Veto when the challenger is worse than the champion with this one-sided confidence
    # (paired bootstrap over test customers).
    champion_confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    # A feature is useful when either figure reaches its floor (test rows).
    min_permutation_importance: float = Field(default=0.001)
    min_single_feature_auc: float = Field(default=0.51, ge=0.5, le=1.0)
    # Disparity across these slice dimensions: min/max ratio of per-group ROC-AUC and of
    # per-group approval rate (share not flagged; the "four-fifths" rule).
    fairness_dimensions: list[str] = Field(default_factory=lambda: ["gender", "income_type"])
    min_auc_ratio: float = Field(default=0.8, ge=0.0, le=1.0)
    min_approval_ratio: float = Field(default=0.8, ge=0.0, le=1.0)


class TrainingConfig(_Strict):
    seed: int = 42
    experiment_name: str = "credit-risk"
    registered_model_name: str = "credit-risk"
    split: SplitConfig = SplitConfig()
    search: SearchConfig = SearchConfig()
    training: TrainingSizeConfig = TrainingSizeConfig()
    candidates: dict[str, CandidateConfig] = Field(default_factory=dict)
    threshold: ThresholdConfig = ThresholdConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    gate: GateConfig = GateConfig()

    @field_validator("candidates")
    @classmethod
    def _known_candidates(
        cls, candidates: dict[str, CandidateConfig]
    ) -> dict[str, CandidateConfig]:
        unknown = sorted(set(candidates) - set(CANDIDATE_NAMES))
        if unknown:
            raise ValueError(f"unknown candidates {unknown}; known: {list(CANDIDATE_NAMES)}")
        if "logistic_regression" not in candidates or not candidates["logistic_regression"].enabled:
            raise ValueError("the logistic_regression baseline must stay enabled")
        return candidates

    def enabled_candidates(self) -> dict[str, CandidateConfig]:
        return {name: c for name, c in self.candidates.items() if c.enabled}

    def fingerprint(self) -> str:
        """Stable hash of the effective configuration (logged with every run)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            # A candidate's grid is replaced as a whole: merging two grids key by key would
            # search a space nobody wrote down.
            merged[key] = value if key == "grid" else _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def default_config_dict() -> dict[str, Any]:
    text = resources.files("model_training").joinpath("default_config.yaml").read_text()
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """`MODEL_TRAINING_GATE_MIN_ROC_AUC=0.65` -> {"gate": {"min_roc_auc": 0.65}} (YAML-typed)."""
    models: dict[str, type[BaseModel]] = {
        "split": SplitConfig,
        "search": SearchConfig,
        "training": TrainingSizeConfig,
        "evaluation": EvaluationConfig,
        "gate": GateConfig,
    }
    overrides: dict[str, Any] = {}
    for section in ENV_SECTIONS:
        for field in models[section].model_fields:
            name = f"{ENV_PREFIX}{section}_{field}".upper()
            if name in environ:
                try:
                    value = yaml.safe_load(environ[name])
                except yaml.YAMLError as exc:
                    raise ConfigError(f"{name}: not a YAML value: {exc}") from exc
                overrides.setdefault(section, {})[field] = value
    return overrides


def load_config(
    path: Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> TrainingConfig:
    """Defaults < YAML file at `path` < environment < `overrides` (CLI flags), validated."""
    raw = default_config_dict()
    if path is not None:
        try:
            user = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        if user is None:
            user = {}
        if not isinstance(user, dict):
            raise ConfigError(f"config {path} must be a YAML mapping, got {type(user).__name__}")
        raw = _deep_merge(raw, user)
    raw = _deep_merge(raw, environment_overrides(os.environ if environ is None else environ))
    if overrides:
        raw = _deep_merge(raw, overrides)
    try:
        return TrainingConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"invalid training config: {exc}") from exc


class Settings(BaseSettings):
    """Where runs and models are stored. Env vars: MODEL_TRAINING_<FIELD> (and MLflow's own)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # Embedded default: SQLite tracking/registry DB plus a local artifact folder under `home`.
    home: Path = Path("var/mlflow")
    # Project-specific override of MLFLOW_TRACKING_URI; empty = MLFLOW_TRACKING_URI, else SQLite.
    tracking_uri: str = ""
    # e.g. s3://bucket/mlflow in AWS; empty = <home>/artifacts.
    artifact_location: str = ""
    # password: use the URL as given; iam: mint an RDS IAM token per new connection (C3).
    db_auth: Literal["password", "iam"] = "password"

    def resolved_tracking_uri(self) -> str:
        if self.tracking_uri:
            return self.tracking_uri
        if os.environ.get("MLFLOW_TRACKING_URI"):
            return os.environ["MLFLOW_TRACKING_URI"]
        return f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    def resolved_artifact_location(self) -> str:
        if self.artifact_location:
            return self.artifact_location
        tracking = self.resolved_tracking_uri()
        if tracking.startswith("sqlite:///"):
            # Artifacts live next to the SQLite store they belong to.
            db = Path(tracking.removeprefix("sqlite:///"))
            return (db.parent / "artifacts").resolve().as_uri()
        return (self.home / "artifacts").resolve().as_uri()
