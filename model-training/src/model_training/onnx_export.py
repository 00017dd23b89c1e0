"""ONNX conversion of a fitted pipeline and the parity check against scikit-learn.

Two converters are registered with skl2onnx: `MissingIndicator` (none ships with skl2onnx) and a
wrapper around skl2onnx's own HistGradientBoostingClassifier converter, which in 1.20 (a) writes
Python booleans into an integer attribute that onnx 1.23 rejects and (b) rounds the float64 split
thresholds to the nearest float32, which sends float32 inputs lying between the two to the other
branch. The wrapper passes integers and rounds each threshold *down* to a float32, so for every
float32 input `x <= t` decides exactly as scikit-learn does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import MissingIndicator
from sklearn.pipeline import Pipeline

from model_training.contract import (
    FEATURES,
    ONNX_INPUT_NAME,
    ONNX_LABEL_OUTPUT,
    ONNX_PROBABILITY_OUTPUT,
)

PARITY_TOLERANCE = 1e-6


class ExportError(RuntimeError):
    """The bundle cannot be produced (conversion failed, parity failed, inputs missing)."""


def _register_missing_indicator_converter() -> None:
    """skl2onnx has no converter for MissingIndicator; it is IsNaN -> Cast -> Gather(columns)."""
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import FloatTensorType

    def shape(operator: Any) -> None:
        rows = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = FloatTensorType([rows, len(operator.raw_operator.features_)])

    def convert(scope: Any, operator: Any, container: Any) -> None:
        indicator = operator.raw_operator
        if indicator.features == "missing-only" and indicator.error_on_new:
            raise ExportError("MissingIndicator(error_on_new=True) has no ONNX equivalent")
        columns = [int(c) for c in indicator.features_]
        is_nan = scope.get_unique_variable_name("is_nan")
        as_float = scope.get_unique_variable_name("is_nan_float")
        index = scope.get_unique_variable_name("indicator_columns")
        container.add_node(
            "IsNaN",
            operator.inputs[0].full_name,
            is_nan,
            name=scope.get_unique_operator_name("IsNaN"),
        )
        container.add_node(
            "Cast",
            is_nan,
            as_float,
            to=TensorProto.FLOAT,
            name=scope.get_unique_operator_name("Cast"),
        )
        container.add_initializer(index, TensorProto.INT64, [len(columns)], columns)
        container.add_node(
            "Gather",
            [as_float, index],
            operator.outputs[0].full_name,
            axis=1,
            name=scope.get_unique_operator_name("Gather"),
        )

    update_registered_converter(
        MissingIndicator, "ModelTrainingMissingIndicator", shape, convert, overwrite=True
    )


def _float32_thresholds_rounded_down(model: HistGradientBoostingClassifier) -> np.ndarray:
    values = []
    for iteration in model._predictors:
        for predictor in iteration:
            nodes = predictor.nodes
            thresholds = np.where(nodes["is_leaf"], 0.0, nodes["num_threshold"])
            rounded = thresholds.astype(np.float32)
            above = rounded.astype(np.float64) > thresholds
            rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
            values.append(rounded)
    return np.concatenate(values)


class _ExactTreeAttributes:
    """Container proxy fixing the two attribute problems of skl2onnx 1.20 (module docstring)."""

    def __init__(self, container: Any, thresholds: np.ndarray) -> None:
        self._container = container
        self._thresholds = thresholds

    def __getattr__(self, name: str) -> Any:
        return getattr(self._container, name)

    def add_node(self, op_type: str, *args: Any, **attrs: Any) -> Any:
        for key, value in attrs.items():
            if isinstance(value, list):
                attrs[key] = [int(v) if isinstance(v, bool | np.bool_) else v for v in value]
        if op_type == "TreeEnsembleClassifier":
            if len(attrs["nodes_values"]) != len(self._thresholds):
                raise ExportError("unexpected tree layout in skl2onnx's HistGradientBoosting graph")
            attrs["nodes_values"] = self._thresholds
        return self._container.add_node(op_type, *args, **attrs)


def _register_hist_gradient_boosting_converter() -> None:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from skl2onnx.operator_converters.random_forest import (
        convert_sklearn_random_forest_classifier,
    )

    def convert(scope: Any, operator: Any, container: Any) -> None:
        thresholds = _float32_thresholds_rounded_down(operator.raw_operator)
        exact = _ExactTreeAttributes(container, thresholds)
        convert_sklearn_random_forest_classifier(scope, operator, exact)

    update_registered_converter(
        HistGradientBoostingClassifier,
        "SklearnHistGradientBoostingClassifier",
        calculate_linear_classifier_output_shapes,
        convert,
        options={
            "zipmap": [True, False, "columns"],
            "raw_scores": [True, False],
            "output_class_labels": [False, True],
            "nocl": [True, False],
        },
        overwrite=True,
    )


def _register_float32_imputer_converter() -> None:
    from skl2onnx import update_registered_converter
    from skl2onnx.operator_converters.imputer_op import convert_sklearn_imputer
    from skl2onnx.shape_calculators.imputer import calculate_sklearn_imputer_output_shapes

    from model_training.candidates import Float32MedianImputer

    update_registered_converter(
        Float32MedianImputer,
        "ModelTrainingFloat32MedianImputer",
        calculate_sklearn_imputer_output_shapes,
        convert_sklearn_imputer,
        overwrite=True,
    )


def to_onnx_bytes(pipeline: Pipeline) -> bytes:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    _register_missing_indicator_converter()
    _register_hist_gradient_boosting_converter()
    _register_float32_imputer_converter()
    final = pipeline.steps[-1][1]
    try:
        model = to_onnx(
            pipeline,
            initial_types=[(ONNX_INPUT_NAME, FloatTensorType([None, len(FEATURES)]))],
            options={id(final): {"zipmap": False}},
            target_opset={"": 17, "ai.onnx.ml": 3},
        )
    except Exception as exc:  # skl2onnx raises many unrelated types
        raise ExportError(f"ONNX conversion failed: {exc}") from exc
    outputs = [o.name for o in model.graph.output]
    if outputs != [ONNX_LABEL_OUTPUT, ONNX_PROBABILITY_OUTPUT]:
        raise ExportError(f"unexpected ONNX outputs {outputs}")
    data: bytes = model.SerializeToString()
    return data


def onnx_probabilities(onnx_bytes: bytes, x: pd.DataFrame) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    matrix = x.loc[:, list(FEATURES)].to_numpy(dtype=np.float32)
    _, probabilities = session.run(None, {ONNX_INPUT_NAME: matrix})
    return np.asarray(probabilities)


def parity_max_abs_diff(pipeline: Pipeline, onnx_bytes: bytes, x: pd.DataFrame) -> float:
    """Max |P_onnx - P_sklearn| over both class columns, on identical (float32) inputs."""
    as_float32 = x.loc[:, list(FEATURES)].astype(np.float32).astype(np.float64)
    expected = pipeline.predict_proba(as_float32)
    actual = onnx_probabilities(onnx_bytes, x)
    if actual.shape != expected.shape:
        raise ExportError(f"ONNX output shape {actual.shape} != scikit-learn {expected.shape}")
    if not np.all(np.isfinite(actual)):
        raise ExportError("ONNX produced non-finite probabilities")
    return float(np.max(np.abs(actual - expected)))
