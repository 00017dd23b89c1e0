"""Typed configuration loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_training.config import ConfigError, Settings, load_config


def test_embedded_defaults_load_and_validate() -> None:
    config = load_config()
    assert config.split.strategy == "customer"
    assert set(config.enabled_candidates()) == {
        "logistic_regression",
        "random_forest",
        "gradient_boosting",
    }


def test_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "seed: 7\ngate:\n  min_roc_auc: 0.6\ncandidates:\n  random_forest:\n    enabled: false\n"
    )
    config = load_config(path)
    assert config.seed == 7
    assert config.gate.min_roc_auc == 0.6
    assert config.gate.max_ece == load_config().gate.max_ece
    assert "random_forest" not in config.enabled_candidates()
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


def test_settings_default_to_local_sqlite_and_artifact_folder(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.resolved_tracking_uri() == f"sqlite:///{tmp_path}/mlflow.db"
    assert settings.resolved_artifact_location() == (tmp_path / "artifacts").as_uri()
    explicit = Settings(home=tmp_path, tracking_uri=f"sqlite:///{tmp_path}/other/x.db")
    assert explicit.resolved_artifact_location() == (tmp_path / "other" / "artifacts").as_uri()
    prod = Settings(tracking_uri="postgresql://u@h/db", artifact_location="s3://b/mlflow")
    assert prod.resolved_tracking_uri() == "postgresql://u@h/db"
    assert prod.resolved_artifact_location() == "s3://b/mlflow"
