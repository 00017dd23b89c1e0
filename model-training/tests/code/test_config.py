"""Typed configuration loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_training.config import ConfigError, Settings, load_config


def test_embedded_defaults_load_and_validate() -> None:
    config = load_config()
    assert config.split.strategy == "customer"
    assert set(config.enabled_candidates()) == {"logistic_regression", "hist_gradient_boosting"}


def test_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "seed: 7\ngate:\n  min_roc_auc: 0.6\ncandidates:\n  hist_gradient_boosting:\n"
        "    enabled: false\n"
    )
    config = load_config(path)
    assert config.seed == 7
    assert config.gate.min_roc_auc == 0.6
    assert config.gate.max_ece_to_base_rate == load_config().gate.max_ece_to_base_rate
    assert "hist_gradient_boosting" not in config.enabled_candidates()
    assert config.fingerprint() != load_config().fingerprint()


@pytest.mark.parametrize(
    "text",
    [
        "gate:\n  min_roc_auk: 0.6\n",  # typo
        "split:\n  strategy: random\n",  # a leaky split is not an option
        "candidates:\n  svm: {}\n",
        "candidates:\n  logistic_regression:\n    enabled: false\n",
        "- a list\n",
        "gate: [unclosed\n",
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_config(path)


def test_settings_default_to_local_sqlite_and_artifact_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    settings = Settings(home=tmp_path)
    assert settings.resolved_tracking_uri() == f"sqlite:///{tmp_path}/mlflow.db"
    assert settings.resolved_artifact_location() == (tmp_path / "artifacts").as_uri()
    explicit = Settings(home=tmp_path, tracking_uri=f"sqlite:///{tmp_path}/other/x.db")
    assert explicit.resolved_artifact_location() == (tmp_path / "other" / "artifacts").as_uri()
    prod = Settings(tracking_uri="postgresql://u@h/db", artifact_location="s3://b/mlflow")
    assert prod.resolved_tracking_uri() == "postgresql://u@h/db"
    assert prod.resolved_artifact_location() == "s3://b/mlflow"


def test_environment_overrides_the_file_and_flags_override_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("gate:\n  min_roc_auc: 0.6\n  max_ece_to_base_rate: 0.4\n")
    environ = {
        "MODEL_TRAINING_GATE_MIN_ROC_AUC": "0.65",
        "MODEL_TRAINING_SEARCH_TIME_BUDGET_SECONDS": "30",
        "MODEL_TRAINING_GATE_FAIRNESS_DIMENSIONS": "[gender]",
    }
    config = load_config(path, environ=environ)
    assert config.gate.min_roc_auc == 0.65
    assert config.gate.max_ece_to_base_rate == 0.4
    assert config.search.time_budget_seconds == 30.0
    assert config.gate.fairness_dimensions == ["gender"]
    flagged = load_config(path, {"gate": {"min_roc_auc": 0.7}}, environ=environ)
    assert flagged.gate.min_roc_auc == 0.7
    with pytest.raises(ConfigError, match="min_roc_auc"):
        load_config(environ={"MODEL_TRAINING_GATE_MIN_ROC_AUC": "high"})


def test_tracking_uri_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "postgresql://mlflow@db/mlflow")
    assert Settings(home=tmp_path).resolved_tracking_uri() == "postgresql://mlflow@db/mlflow"
    monkeypatch.setenv("MODEL_TRAINING_TRACKING_URI", "sqlite:////x/override.db")
    assert Settings(home=tmp_path).resolved_tracking_uri() == "sqlite:////x/override.db"
