"""Bundle pieces: reference statistics, ONNX conversion and the parity guard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model_training.bundle import sha256_hex, write_bundle
from model_training.candidates import build_pipeline, fit
from model_training.dataset import feature_matrix
from model_training.onnx_export import ExportError, parity_max_abs_diff, to_onnx_bytes
from model_training.reference import baseline_values, reference_statistics
from model_training.validation import validate

COLUMNS = [
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
]


def test_reference_statistics_by_hand() -> None:
    x = pd.DataFrame(
        {
            "nb_previous_loans": [0, 1, 2, 3],
            "avg_amount_loans_previous": [np.nan, 100.0, 110.0, 120.0],
            "age": [30, 30, 30, 30],
            "years_on_the_job": [np.nan, np.nan, np.nan, np.nan],
            "flag_own_car": [0, 1, 1, 1],
        },
        dtype="float64",
    )
    stats = reference_statistics(x, n_bins=2)
    assert stats["nb_previous_loans"] == {
        "kind": "numeric",
        "bin_edges": [0.0, 1.5, 3.0],
        "counts": [2, 2],
        "null_count": 0,
    }
    # [100,110) and [110,120]; the null is counted apart.
    assert stats["avg_amount_loans_previous"]["counts"] == [1, 2]
    assert stats["avg_amount_loans_previous"]["null_count"] == 1
    assert stats["age"]["bin_edges"] == [30.0, 31.0]
    assert stats["age"]["counts"] == [4]
    assert stats["years_on_the_job"] == {
        "kind": "numeric",
        "bin_edges": [],
        "counts": [],
        "null_count": 4,
    }
    # A binary feature gets one bucket per value, never a collapsed quantile bin.
    assert stats["flag_own_car"] == {
        "kind": "categorical",
        "counts": {"0": 1, "1": 3},
        "null_count": 0,
    }
    assert baseline_values(x) == {
        "nb_previous_loans": 1.5,
        "avg_amount_loans_previous": 110.0,
        "age": 30.0,
        "years_on_the_job": 0.0,
        "flag_own_car": 1.0,
    }


@pytest.fixture(scope="module")
def frame(dataset: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return validate(dataset[0], "test")


@pytest.mark.parametrize(
    ("candidate", "params"),
    [
        ("logistic_regression", {"C": 1.0}),
        ("random_forest", {"n_estimators": 20, "min_samples_leaf": 10}),
        ("hist_gradient_boosting", {"max_iter": 30, "min_samples_leaf": 10}),
        (
            "hist_gradient_boosting",
            {"max_iter": 30, "max_leaf_nodes": 8, "interaction_cst": "no_interactions"},
        ),
    ],
)
def test_onnx_matches_sklearn_including_missing_values(
    frame: pd.DataFrame, candidate: str, params: dict[str, object]
) -> None:
    x = feature_matrix(frame)
    model = fit(build_pipeline(candidate, params, seed=0), x, frame["status"].to_numpy())
    edge = pd.DataFrame(
        [[0, np.nan, np.nan, np.nan, 1], [59, 819.91, 70, 45, 0]], columns=COLUMNS, dtype="float64"
    )
    rows = pd.concat([x, edge], ignore_index=True)
    assert parity_max_abs_diff(model, to_onnx_bytes(model), rows) <= 1e-6


def test_failed_parity_writes_nothing_and_keeps_the_old_bundle(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    x = feature_matrix(frame)
    model = fit(
        build_pipeline("hist_gradient_boosting", {"max_iter": 10}, 0), x, frame["status"].to_numpy()
    )
    card = tmp_path / "card"
    card.mkdir()
    (card / "model_card.md").write_text("# card")
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "metadata.json").write_text(json.dumps({"model_version": "old"}))
    with pytest.raises(ExportError, match="parity"):
        write_bundle(
            out,
            pipeline=model,
            parity_rows=x,
            metadata={"metrics": {}},
            model_card_dir=card,
            tolerance=-1.0,
        )
    assert json.loads((out / "metadata.json").read_text()) == {"model_version": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "card"]

    report = write_bundle(
        out, pipeline=model, parity_rows=x, metadata={"metrics": {}}, model_card_dir=card
    )
    written = json.loads((out / "metadata.json").read_text())
    assert written["metrics"]["onnx_parity_max_abs_diff"] <= 1e-6
    assert written["model_sha256"] == sha256_hex((out / "model.onnx").read_bytes())
    assert report["model_sha256"] == written["model_sha256"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "card"]
