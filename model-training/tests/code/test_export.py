"""Bundle pieces: reference statistics, ONNX conversion and the parity guard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model_training.data import feature_matrix, validate
from model_training.export import (
    ExportError,
    baseline_values,
    parity_max_abs_diff,
    reference_statistics,
    to_onnx_bytes,
    write_bundle,
)
from model_training.train import build_pipeline, fit

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
        "bin_edges": [0.0, 1.5, 3.0],
        "counts": [2, 2],
        "null_share": 0.0,
        "mean": 1.5,
        "count": 4,
    }
    assert stats["avg_amount_loans_previous"]["counts"] == [1, 2]  # [100,110) and [110,120]
    assert stats["avg_amount_loans_previous"]["null_share"] == 0.25
    assert stats["age"]["bin_edges"] == [30.0, 31.0]
    assert stats["age"]["counts"] == [4]
    assert stats["years_on_the_job"] == {
        "bin_edges": [],
        "counts": [],
        "null_share": 1.0,
        "mean": None,
        "count": 4,
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
        ("gradient_boosting", {"n_estimators": 20}),
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
        build_pipeline("gradient_boosting", {"n_estimators": 10}, 0), x, frame["status"].to_numpy()
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

    write_bundle(out, pipeline=model, parity_rows=x, metadata={"metrics": {}}, model_card_dir=card)
    assert (
        json.loads((out / "metadata.json").read_text())["metrics"]["onnx_parity_max_abs_diff"]
        <= 1e-6
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "card"]
