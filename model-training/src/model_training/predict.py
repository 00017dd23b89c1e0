"""Scoring with a trained pipeline or a registered model (feature order enforced)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from model_training.contract import FEATURES


class FeatureOrderError(ValueError):
    """The frame handed to the model does not carry exactly the contract features in order."""


def model_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Select the contract features (in contract order) from a wider frame, as float64."""
    missing = [f for f in FEATURES if f not in frame.columns]
    if missing:
        raise FeatureOrderError(f"missing model features {missing}")
    return frame.loc[:, list(FEATURES)].astype("float64")


def predict_proba(pipeline: Pipeline, x: pd.DataFrame) -> np.ndarray:
    """P(status = 1) for each row; `x` must already be exactly the features, in order."""
    if list(x.columns) != list(FEATURES):
        raise FeatureOrderError(
            f"expected columns {list(FEATURES)} in order, got {list(x.columns)}"
        )
    fitted = list(getattr(pipeline, "feature_names_in_", FEATURES))
    if fitted != list(FEATURES):
        raise FeatureOrderError(f"model was fitted on {fitted}, not the contract features")
    scores: np.ndarray = pipeline.predict_proba(x)[:, 1]
    return scores


def load_registered(tracking_uri: str, model_name: str, version: str) -> Pipeline:
    import mlflow.sklearn

    from model_training.registry import configure

    configure(tracking_uri)
    model: Pipeline = mlflow.sklearn.load_model(f"models:/{model_name}/{version}")
    return model
