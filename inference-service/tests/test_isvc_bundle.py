"""Loading the serving bundle: a bad bundle stops start-up with a message that says why."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from isvc_support import FEATURE_NAMES, TrainedBundle
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression

from inference_service.config import Settings
from inference_service.main import create_app
from inference_service.model import BundleError, ModelBundle


@pytest.fixture
def bundle_copy(trained_bundle: TrainedBundle, tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(trained_bundle.directory, target)
    return target


def _edit_metadata(directory: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = directory / "metadata.json"
    metadata = json.loads(path.read_text())
    change(metadata)
    path.write_text(json.dumps(metadata))


def test_loads_the_contract_bundle(trained_bundle: TrainedBundle) -> None:
    bundle = ModelBundle.load(trained_bundle.directory)
    assert bundle.feature_names == tuple(FEATURE_NAMES)
    assert bundle.threshold == trained_bundle.metadata["threshold"]
    rows = [{"nb_previous_loans": 2, "avg_amount_loans_previous": None, "age": 40}]
    got = bundle.predict_proba(bundle.vectorize(rows))
    expected = trained_bundle.reference_proba([(2, None, 40, None, None)])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_decision_uses_the_bundle_threshold_inclusively(trained_bundle: TrainedBundle) -> None:
    bundle = ModelBundle.load(trained_bundle.directory)
    t = bundle.threshold
    assert bundle.decide(t) == 1
    assert bundle.decide(np.nextafter(t, 0)) == 0


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        ModelBundle.load(tmp_path / "nowhere")


@pytest.mark.parametrize("missing", ["model.onnx", "metadata.json"])
def test_missing_file(bundle_copy: Path, missing: str) -> None:
    (bundle_copy / missing).unlink()
    with pytest.raises(BundleError, match=re.escape(missing)):
        ModelBundle.load(bundle_copy)


def test_corrupt_files(bundle_copy: Path) -> None:
    (bundle_copy / "metadata.json").write_text("{not json")
    with pytest.raises(BundleError, match=re.escape("metadata.json")):
        ModelBundle.load(bundle_copy)


def test_corrupt_onnx(trained_bundle: TrainedBundle, bundle_copy: Path) -> None:
    garbage = b"\x08\x07garbage"
    (bundle_copy / "model.onnx").write_bytes(garbage)
    _edit_metadata(
        bundle_copy, lambda m: m.update(model_sha256=hashlib.sha256(garbage).hexdigest())
    )
    with pytest.raises(BundleError, match=re.escape("cannot load")):
        ModelBundle.load(bundle_copy)


def test_model_that_does_not_match_its_hash_is_refused(bundle_copy: Path) -> None:
    model = bundle_copy / "model.onnx"
    original = model.read_bytes()
    model.write_bytes(original + b"\x00")  # one byte more: still a loadable protobuf
    with pytest.raises(BundleError, match=r"does not match metadata\.json") as refused:
        ModelBundle.load(bundle_copy)
    assert hashlib.sha256(original + b"\x00").hexdigest() in str(refused.value)


def test_hash_is_reported_and_version_1_without_it_still_loads(
    trained_bundle: TrainedBundle, bundle_copy: Path
) -> None:
    expected = hashlib.sha256((trained_bundle.directory / "model.onnx").read_bytes()).hexdigest()
    assert ModelBundle.load(trained_bundle.directory).model_sha256 == expected
    _edit_metadata(bundle_copy, lambda m: (m.pop("model_sha256"), m.update(schema_version=1)))
    assert ModelBundle.load(bundle_copy).model_sha256 == expected


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(schema_version=3), "schema_version"),
        (lambda m: m.update(schema_version=True), "schema_version"),
        (lambda m: m.pop("model_sha256"), "lacks model_sha256"),
        (lambda m: m.pop("threshold"), "threshold"),
        (lambda m: m.update(threshold=1.5), "outside"),
        (lambda m: m.update(threshold="0.5"), "threshold"),
        (lambda m: m.update(features=[]), "features"),
        (lambda m: m["features"].pop(), "expects 5 features"),
        (lambda m: m["features"].append(m["features"][0]), "duplicate"),
        (lambda m: m["features"][0].update(dtype="string"), "dtype"),
        (lambda m: m["baseline_values"].pop("age"), "baseline_values lacks"),
        (lambda m: m["baseline_values"].update(age=None), "baseline value"),
        (lambda m: m.update(onnx_input_name="x"), "input named 'x'"),
        (lambda m: m.update(onnx_probability_output="probs"), "no output 'probs'"),
        (lambda m: m.pop("model_version"), "model_version"),
    ],
)
def test_inconsistent_metadata(
    bundle_copy: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    _edit_metadata(bundle_copy, change)
    with pytest.raises(BundleError, match=re.escape(message)):
        ModelBundle.load(bundle_copy)


def test_zipmap_output_is_refused(bundle_copy: Path) -> None:
    # With zipmap on, probabilities come back as a list of dicts instead of a float matrix.
    x = np.random.default_rng(0).random((40, 5)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(int)
    onnx_model = to_onnx(
        LogisticRegression().fit(x, y),
        initial_types=[("features", FloatTensorType([None, 5]))],
        target_opset=17,
    )
    model_bytes = onnx_model.SerializeToString()
    (bundle_copy / "model.onnx").write_bytes(model_bytes)
    _edit_metadata(
        bundle_copy,
        lambda m: m.update(
            onnx_probability_output="output_probability",
            model_sha256=hashlib.sha256(model_bytes).hexdigest(),
        ),
    )
    with pytest.raises(BundleError, match="zipmap"):
        ModelBundle.load(bundle_copy)


def test_app_start_up_fails_on_a_bad_bundle(sqlite_store: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    app = create_app(
        Settings(feature_store_url=f"sqlite:///{sqlite_store}", model_bundle_dir=tmp_path)
    )
    with pytest.raises(BundleError, match="incomplete"), TestClient(app):
        pass
