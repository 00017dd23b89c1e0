"""Loading, validating, fingerprinting and splitting the training set."""

from __future__ import annotations

from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
from synthetic import write_csv, write_pipeline_output

from model_training.data import (
    DataValidationError,
    load_raw_attributes,
    load_training_data,
    make_split,
    slice_attributes,
)


@pytest.fixture
def frame(dataset: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return dataset[0].copy()


def test_every_accepted_layout_loads_the_same_rows_and_fingerprint(
    frame: pd.DataFrame, training_csv: Path, tmp_path: Path
) -> None:
    shuffled = frame.sample(frac=1.0, random_state=3)
    parts = tmp_path / "csv_parts"
    for i, chunk in enumerate(
        shuffled.iloc[r] for r in np.array_split(np.arange(len(shuffled)), 3)
    ):
        write_csv(chunk, parts / f"part-{i}.csv")
    (parts / "_SUCCESS").write_text("")  # side files are ignored
    parquet = tmp_path / "one.parquet"
    frame.to_parquet(parquet, index=False)
    pipeline_out = write_pipeline_output(shuffled, tmp_path / "pipeline")

    loaded = [load_training_data(str(p)) for p in (training_csv, parts, parquet, pipeline_out)]
    assert {t.fingerprint for t in loaded} == {loaded[0].fingerprint}
    assert all(len(t.frame) == len(frame) for t in loaded)
    pd.testing.assert_frame_equal(loaded[0].frame, loaded[3].frame)


def test_pipeline_output_without_success_marker_is_refused(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    out = write_pipeline_output(frame, tmp_path / "pipeline")
    (out / "_SUCCESS").unlink()
    with pytest.raises(DataValidationError, match="_SUCCESS"):
        load_training_data(str(out))


def test_pipeline_output_loads_exactly_the_files_its_manifest_lists(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    out = write_pipeline_output(frame, tmp_path / "pipeline")
    expected = load_training_data(str(out)).fingerprint
    # A part file of another run next to the committed ones is not part of this run.
    stale = frame.head(50).assign(status=1)
    stale_part = out / "training_set" / "parquet" / "part-99999.parquet"
    stale.assign(loan_date=pd.to_datetime(stale["loan_date"]).dt.date).to_parquet(stale_part)
    assert load_training_data(str(out)).fingerprint == expected

    listed = out / "training_set" / "parquet" / "part-00001.parquet"
    listed.write_bytes(listed.read_bytes()[:-10])
    with pytest.raises(DataValidationError, match="_SUCCESS says"):
        load_training_data(str(out))
    listed.unlink()
    with pytest.raises(DataValidationError, match="listed in _SUCCESS but missing"):
        load_training_data(str(out))


def test_pipeline_output_with_a_bare_success_marker_is_refused(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    out = write_pipeline_output(frame, tmp_path / "pipeline")
    (out / "_SUCCESS").write_text("")
    with pytest.raises(DataValidationError, match="not a pipeline manifest"):
        load_training_data(str(out))


def test_fingerprint_changes_when_one_label_changes(frame: pd.DataFrame, tmp_path: Path) -> None:
    a = write_csv(frame, tmp_path / "a.csv")
    changed = frame.copy()
    changed.loc[0, "status"] = 1 - changed.loc[0, "status"]
    b = write_csv(changed, tmp_path / "b.csv")
    assert load_training_data(str(a)).fingerprint != load_training_data(str(b)).fingerprint


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["age"]), "missing required columns"),
        (lambda f: f.assign(flag_own_car=f["flag_own_car"].where(f.index != 3, 2)), "not 0/1"),
        (
            lambda f: f.assign(status=f["status"].astype(object).where(f.index != 1, "x")),
            "non-numeric",
        ),
        (
            lambda f: f.assign(years_on_the_job=f["years_on_the_job"].where(f.index != 2, -1000)),
            "negative",
        ),
        (lambda f: f.assign(age=f["age"].where(f.index != 2, 40.5)), "non-integer"),
        (
            lambda f: f.assign(loan_id=f["loan_id"].where(f.index != 1, f["loan_id"][0])),
            "share a loan_id",
        ),
        (
            lambda f: f.assign(loan_date=f["loan_date"].where(f.index != 1, "17/09/2021")),
            "YYYY-MM-DD",
        ),
        (
            lambda f: f.assign(nb_previous_loans=f["nb_previous_loans"].where(f.index != 1, None)),
            "not nullable",
        ),
        (lambda f: f.assign(status=0), "single class"),
        (lambda f: f.iloc[0:0], "no rows"),
    ],
)
def test_contract_violations_are_reported_clearly(
    frame: pd.DataFrame, tmp_path: Path, mutate: object, message: str
) -> None:
    path = write_csv(mutate(frame), tmp_path / "bad.csv")  # type: ignore[operator]
    with pytest.raises(DataValidationError, match=message) as excinfo:
        load_training_data(str(path))
    assert str(path) in str(excinfo.value)


def test_all_problems_are_reported_at_once(frame: pd.DataFrame, tmp_path: Path) -> None:
    bad = frame.copy()
    bad.loc[0, "flag_own_car"] = 7
    bad.loc[1, "age"] = 200
    with pytest.raises(DataValidationError) as excinfo:
        load_training_data(str(write_csv(bad, tmp_path / "bad.csv")))
    assert len(excinfo.value.problems) == 2


def test_missing_path_and_wrong_suffix_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="does not exist"):
        load_training_data(str(tmp_path / "nope.csv"))
    (tmp_path / "x.txt").write_text("a,b\n")
    with pytest.raises(DataValidationError, match=r"\.csv or \.parquet"):
        load_training_data(str(tmp_path / "x.txt"))


def test_customer_split_never_shares_a_customer_and_is_deterministic(frame: pd.DataFrame) -> None:
    split = make_split(frame, "customer", 0.25, salt=11)
    train_ids = set(frame["id"].iloc[split.train])
    validation_ids = set(frame["id"].iloc[split.validation])
    assert train_ids.isdisjoint(validation_ids)
    assert len(split.train) + len(split.validation) == len(frame)
    again = make_split(frame, "customer", 0.25, salt=11)
    np.testing.assert_array_equal(split.validation, again.validation)
    share = len(validation_ids) / frame["id"].nunique()
    assert 0.2 < share < 0.3
    # Stable under data growth: adding customers does not move existing ones.
    grown = pd.concat([frame, frame.assign(id=frame["id"] + 10_000_000)], ignore_index=True)
    grown_split = make_split(grown, "customer", 0.25, salt=11)
    assert validation_ids <= set(grown["id"].iloc[grown_split.validation])
    assert set(grown["id"].iloc[grown_split.train]).isdisjoint(validation_ids)


def test_time_split_validates_on_the_latest_dates(frame: pd.DataFrame) -> None:
    typed = frame.assign(loan_date=pd.to_datetime(frame["loan_date"]))
    split = make_split(typed, "time", 0.2, salt=0)
    assert (
        typed["loan_date"].iloc[split.train].max() < typed["loan_date"].iloc[split.validation].min()
    )


def test_training_set_from_s3_pipeline_output(
    frame: pd.DataFrame, tmp_path: Path, aws_reset: str
) -> None:
    out = write_pipeline_output(frame, tmp_path / "pipeline")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="features")
    for file in out.rglob("*"):
        if file.is_file():
            s3.upload_file(str(file), "features", f"runs/r1/{file.relative_to(out)}")
    loaded = load_training_data("s3://features/runs/r1")
    assert loaded.fingerprint == load_training_data(str(out)).fingerprint
    s3.delete_object(Bucket="features", Key="runs/r1/_SUCCESS")
    with pytest.raises(DataValidationError, match="_SUCCESS"):
        load_training_data("s3://features/runs/r1")
    s3.upload_file(str(out / "training_set/csv/part-00000.csv"), "features", "one/part.csv")
    assert len(load_training_data("s3://features/one/part.csv").frame) < len(frame)


def test_raw_attributes_join_for_slices_only(frame: pd.DataFrame, raw_csv: Path) -> None:
    attributes = load_raw_attributes(str(raw_csv))
    assert list(attributes.columns) == ["gender", "income_type"]
    slices = slice_attributes(frame, attributes, [25, 35, 45, 55, 65])
    assert set(slices.columns) == {"age_band", "customer_type", "gender", "income_type"}
    assert set(slices["gender"]) <= {"F", "M"}
    first_loans = frame["nb_previous_loans"] == 0
    assert (slices.loc[first_loans, "customer_type"] == "new").all()
    assert (slices.loc[~first_loans, "customer_type"] == "returning").all()
    assert (slices.loc[frame["age"] == 25, "age_band"] == "25-34").all()
    assert (slices.loc[frame["age"] == 24, "age_band"] == "<25").all()
