"""The serving bundle (docs/contracts/serving-bundle.md), loaded once per process."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnxruntime as ort

log = logging.getLogger(__name__)

# Version 2 adds the model's hash, the split fingerprint and type-aware reference statistics;
# this service reads what it needs from either and ignores keys it does not know.
SUPPORTED_SCHEMA_VERSIONS = (1, 2)


class BundleError(Exception):
    """The serving bundle is missing, unreadable or inconsistent."""


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    dtype: Literal["int", "float"]


def _require(metadata: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in metadata:
        raise BundleError(f"metadata.json lacks required key {key!r}")
    value = metadata[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BundleError(f"metadata.json key {key!r} has the wrong type ({type(value).__name__})")
    return value


def _parse_features(raw: Any) -> tuple[FeatureSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise BundleError("metadata.json 'features' must be a non-empty list")
    specs: list[FeatureSpec] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BundleError(f"metadata.json feature entry {item!r} needs a string 'name'")
        if item.get("dtype") not in ("int", "float"):
            raise BundleError(f"feature {item['name']!r} has dtype {item.get('dtype')!r}")
        specs.append(FeatureSpec(item["name"], item["dtype"]))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise BundleError(f"metadata.json lists duplicate features: {names}")
    return tuple(specs)


def _verify_model_hash(metadata: Mapping[str, Any], version: int, actual: str) -> None:
    expected = metadata.get("model_sha256")
    if expected is None and version == 1:
        log.warning("bundle schema_version 1 has no model_sha256: model.onnx is not verified")
        return
    if not isinstance(expected, str):
        raise BundleError("metadata.json lacks model_sha256 (hex SHA-256 of model.onnx)")
    if expected.lower() != actual:
        raise BundleError(
            f"model.onnx does not match metadata.json: its SHA-256 is {actual}, "
            f"metadata.json says {expected}; the bundle is corrupt or mixed from two exports"
        )


class ModelBundle:
    """A loaded model: feature order, threshold, baselines and an ONNX Runtime session."""

    def __init__(
        self, directory: Path, metadata: Mapping[str, Any], session: Any, model_sha256: str
    ) -> None:
        self.directory = directory
        self.model_sha256 = model_sha256
        self.metadata = dict(metadata)
        self.features = _parse_features(metadata.get("features"))
        self.feature_names = tuple(s.name for s in self.features)
        self.model_name = str(_require(metadata, "model_name", str))
        self.model_version = str(_require(metadata, "model_version", str))
        self.run_id = str(_require(metadata, "run_id", str))
        self.created_at = str(_require(metadata, "created_at", str))
        self.training_data_fingerprint = str(metadata.get("training_data_fingerprint", ""))
        self.threshold = float(_require(metadata, "threshold", (int, float)))
        if not 0.0 <= self.threshold <= 1.0:
            raise BundleError(f"threshold {self.threshold} is outside [0, 1]")
        baselines = _require(metadata, "baseline_values", dict)
        missing = [n for n in self.feature_names if n not in baselines]
        if missing:
            raise BundleError(f"baseline_values lacks features {missing}")
        self.baseline_values: dict[str, float] = {}
        for name in self.feature_names:
            value = baselines[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BundleError(f"baseline value of {name!r} is not a number: {value!r}")
            if not math.isfinite(value):
                raise BundleError(f"baseline value of {name!r} is not finite")
            self.baseline_values[name] = float(value)
        self.input_name = str(_require(metadata, "onnx_input_name", str))
        self.probability_output = str(_require(metadata, "onnx_probability_output", str))
        self._session = session
        self._check_session()
        self.baseline_vector = self.vectorize([self.baseline_values])

    @classmethod
    def load(cls, directory: str | Path) -> ModelBundle:
        path = Path(directory)
        if not path.is_dir():
            raise BundleError(f"model bundle directory {path} does not exist")
        metadata_path, model_path = path / "metadata.json", path / "model.onnx"
        for required in (metadata_path, model_path):
            if not required.is_file():
                raise BundleError(f"model bundle {path} is incomplete: {required.name} missing")
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BundleError(f"cannot read {metadata_path}: {err}") from err
        if not isinstance(metadata, dict):
            raise BundleError(f"{metadata_path} must hold a JSON object")
        version = metadata.get("schema_version")
        if version not in SUPPORTED_SCHEMA_VERSIONS or isinstance(version, bool):
            raise BundleError(
                f"unsupported bundle schema_version {version!r}; "
                f"this service reads versions {list(SUPPORTED_SCHEMA_VERSIONS)}"
            )
        try:
            model_bytes = model_path.read_bytes()
        except OSError as err:
            raise BundleError(f"cannot read {model_path}: {err}") from err
        # The bytes checked are the bytes loaded: no window for the file to change in between.
        actual = hashlib.sha256(model_bytes).hexdigest()
        _verify_model_hash(metadata, version, actual)
        options = ort.SessionOptions()
        # One request at a time per Lambda instance and tiny models: thread pools only add
        # start-up time and scheduling jitter.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(
                model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # onnxruntime raises its own untyped errors for bad files
            raise BundleError(f"cannot load {model_path}: {err}") from err
        return cls(path, metadata, session, actual)

    def _check_session(self) -> None:
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or inputs[0].name != self.input_name:
            names = [i.name for i in inputs]
            raise BundleError(f"model.onnx must have one input named {self.input_name!r}: {names}")
        if inputs[0].type != "tensor(float)":
            raise BundleError(f"model input type is {inputs[0].type}, expected tensor(float)")
        width = inputs[0].shape[-1] if inputs[0].shape else None
        if isinstance(width, int) and width != len(self.features):
            raise BundleError(
                f"model.onnx expects {width} features but metadata.json lists "
                f"{len(self.features)}: {list(self.feature_names)}"
            )
        outputs = [o.name for o in self._session.get_outputs()]
        if self.probability_output not in outputs:
            raise BundleError(f"model.onnx has no output {self.probability_output!r}: {outputs}")
        # A smoke prediction proves the graph runs and warms the session before real traffic.
        probe = np.zeros((1, len(self.features)), dtype=np.float32)
        raw = self._session.run([self.probability_output], {self.input_name: probe})[0]
        if getattr(raw, "shape", None) != (1, 2):
            raise BundleError(
                f"output {self.probability_output!r} must be float [N, 2] (zipmap off); "
                f"got {type(raw).__name__} {getattr(raw, 'shape', '')}"
            )

    def vectorize(self, rows: Sequence[Mapping[str, float | int | None]]) -> np.ndarray:
        """Rows of feature values -> float32 matrix in bundle order, NaN for missing values."""
        matrix = np.empty((len(rows), len(self.feature_names)), dtype=np.float32)
        for i, row in enumerate(rows):
            matrix[i] = [
                math.nan if (value := row.get(name)) is None else value
                for name in self.feature_names
            ]
        return matrix

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        """P(status = 1) for each row of a float32 [N, n_features] matrix."""
        out = self._session.run([self.probability_output], {self.input_name: matrix})[0]
        return np.asarray(out[:, 1], dtype=np.float64)

    def decide(self, probability: float) -> int:
        return int(probability >= self.threshold)
