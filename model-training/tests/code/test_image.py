"""The training image, booted from the file tree its Dockerfile builds (no Docker here).

platform_testkit assembles the tree from the Dockerfile itself (the hashed lock installed for
manylinux x86_64 / CPython 3.11, wheels only; the package built with the backend of the hashed
build lock, as the Dockerfile does) and runs its ENTRYPOINT, the `model-training` command, in
`python -I -S`, which sees only that tree and the standard library. It fits a tiny model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from model_training.config import TrainingConfig
from platform_testkit.image_tree import ImageTree

REPO = Path(__file__).resolve().parents[3]
SERVICE = REPO / "model-training"


@pytest.fixture(scope="module")
def image(image_tree: Callable[..., ImageTree]) -> ImageTree:
    # Build context: the repository root (the Dockerfile's header; infra/tests check the
    # pipeline builds it that way).
    return image_tree(SERVICE / "Dockerfile", REPO)


def test_the_command_is_the_trees_own(image: ImageTree) -> None:
    report = image.isolation_report()
    assert report["flags"] == [1, 1]
    assert report["host_modules"] == []
    assert report["foreign"] == []
    help_run = image.run()  # CMD ["--help"]
    assert help_run.returncode == 0, help_run.stderr
    assert "train" in help_run.stdout
    assert "promote" in help_run.stdout
    located = image.probe("import model_training; print(model_training.__file__)")
    assert located.startswith(str(image.host_path("/opt/model-training/model_training")))


def test_the_image_fits_a_tiny_model(
    image: ImageTree, training_csv: Path, raw_csv: Path, online_parquet: Path,
    fast_config: TrainingConfig, tmp_path: Path,
) -> None:  # fmt: skip
    config = fast_config.model_dump(mode="json")
    config["candidates"]["hist_gradient_boosting"]["enabled"] = False
    config["evaluation"]["bootstrap_replicates"] = 50
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = image.run(
        ["train", "--data", str(training_csv), "--raw", str(raw_csv),
         "--reference", str(online_parquet),
         "--tracking-uri", tracking, "--config", str(config_file)],
        env={"MODEL_TRAINING_HOME": str(tmp_path / "home")},
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["gate_passed"] is True
    assert summary["model_version"] == "1"
    assert summary["metrics"]["roc_auc"] > 0.6  # the synthetic set carries a real signal
