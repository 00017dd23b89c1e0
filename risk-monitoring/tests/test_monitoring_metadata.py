"""Reading the bundle's metadata.json, schema_version 2 (docs/contracts/serving-bundle.md)."""

from __future__ import annotations

import json
from copy import deepcopy

import numpy as np
import pytest
from monitoring_factories import metadata_document

from risk_monitoring.errors import InputError
from risk_monitoring.io.metadata import load_metadata

DOCUMENT = metadata_document()


def test_the_contract_example_is_read_with_counts_kinds_and_population() -> None:
    document = deepcopy(DOCUMENT)
    document["reference_statistics"]["flag_own_car"] = {
        "kind": "categorical",
        "counts": {"0": 620, "1": 380},
        "null_count": 0,
    }
    document["reference_statistics"]["age"] = {
        "kind": "numeric",
        "bin_edges": [21, 30, 45, 69],
        "counts": [300, 400, 290],
        "null_count": 10,
    }
    metadata = load_metadata(json.dumps(document))
    features = {f.name: f for f in metadata.features}
    car, age = features["flag_own_car"], features["age"]
    assert car.kind == "categorical"
    assert car.categories.tolist() == [0.0, 1.0]
    assert car.reference_counts().tolist() == [620, 380, 0, 0]  # 0, 1, unseen, null
    assert car.bucket_labels() == ["0", "1", "unseen", "null"]
    assert age.reference_counts().tolist() == [300, 400, 290, 10]
    assert age.null_share == pytest.approx(10 / 1000)
    assert metadata.reference_population["source"] == "online"
    assert metadata.training_roc_auc == 0.75


def test_version_1_is_refused_with_a_clear_error() -> None:
    document = dict(DOCUMENT, schema_version=1)
    with pytest.raises(InputError, match=r"schema_version 1 is not supported.*version 2"):
        load_metadata(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d["reference_statistics"]["age"].update(counts=[1, 2]), r"n\+1 bin_edges"),
        (lambda d: d["reference_statistics"]["age"].update(kind="categorical"), "!= feature kind"),
        (lambda d: d["reference_statistics"]["flag_own_car"].update(counts={"Y": 3}), "category"),
        (lambda d: d["reference_statistics"]["age"].pop("null_count"), "null_count"),
        (lambda d: d["features"][0].update(kind="text"), "unknown kind"),
        (lambda d: d["reference_statistics"].pop("age"), "'age'"),
    ],
)
def test_metadata_breaking_the_contract_is_refused(change, match: str) -> None:
    document = deepcopy(DOCUMENT)
    change(document)
    with pytest.raises(InputError, match=match):
        load_metadata(json.dumps(document))


def test_a_feature_null_for_every_reference_row_still_has_a_value_bucket() -> None:
    document = deepcopy(DOCUMENT)
    document["reference_statistics"]["avg_amount_loans_previous"] = {
        "kind": "numeric",
        "bin_edges": [],
        "counts": [],
        "null_count": 500,
    }
    feature = load_metadata(json.dumps(document)).features[1]
    assert feature.reference_counts().tolist() == [0, 500]
    assert feature.bucket_index(np.array([3.0, 1e9])).tolist() == [0, 0]
