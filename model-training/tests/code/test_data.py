"""Loading, validating, fingerprinting and splitting the training set."""

from __future__ import annotations

from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
from synthetic import online_rows, write_csv, write_pipeline_output, write_pipeline_run

from model_training.config import SplitConfig
from model_training.dataset import load_training_data as _load
from model_training.lake import DataValidationError
from model_training.slices import load_raw_attributes, slice_attributes
from model_training.split import make_split


@pytest.fixture(autouse=True)
def _online(online_parquet: Path) -> None:
    global ONLINE
    ONLINE = str(online_parquet)


def load_training_data(source: str):  # type: ignore[no-untyped-def]
    """Plain training rows need the serving population given explicitly."""
    return _load(source, ONLINE)


ONLINE = ""


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
    lake_root = write_pipeline_run(shuffled, tmp_path / "lake")

    sources = (training_csv, parts, parquet, pipeline_out, lake_root, lake_root / "run=r1")
    loaded = [load_training_data(str(p)) for p in sources]
    assert {t.fingerprint for t in loaded} == {loaded[0].fingerprint}
    assert all(len(t.frame) == len(frame) for t in loaded)
    pd.testing.assert_frame_equal(loaded[0].frame, loaded[3].frame)


def test_lake_root_follows_latest_and_reads_the_online_rows(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    root = write_pipeline_run(frame, tmp_path / "lake", run_id="r1")
    # An older run beside it, with other rows, is not read: _LATEST names r1.
    write_pipeline_output(frame.head(100), root / "run=r0", run_id="r0", online=True)
    loaded = _load(str(root))
    assert len(loaded.frame) == len(frame)
    serving = loaded.serving
    assert serving is not None
    assert (serving.run_id, serving.as_of) == ("r1", "2021-01-01")
    assert len(serving.frame) == frame["id"].nunique()
    expected = online_rows(frame).sort_values("id")["nb_previous_loans"].to_numpy()
    np.testing.assert_array_equal(serving.frame["nb_previous_loans"].to_numpy(), expected)


def test_latest_pointing_at_another_manifest_is_refused(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    root = write_pipeline_run(frame, tmp_path / "lake")
    manifest = root / "run=r1" / "_SUCCESS"
    manifest.write_text(manifest.read_text().replace('"rows"', '"rows_changed"'))
    with pytest.raises(DataValidationError, match="_LATEST says"):
        _load(str(root))


def test_root_without_latest_and_runs_without_online_rows_are_clear_errors(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    root = write_pipeline_run(frame, tmp_path / "lake")
    (root / "_LATEST").unlink()
    with pytest.raises(DataValidationError, match="without _LATEST"):
        _load(str(root))
    old = write_pipeline_output(frame, tmp_path / "old")  # the layout before online/parquet/
    with pytest.raises(DataValidationError, match="serving population"):
        _load(str(old))
    with pytest.raises(DataValidationError, match="--reference"):
        _load(str(write_csv(frame, tmp_path / "rows.csv")))


def test_online_rows_with_a_duplicated_customer_are_refused(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    online = online_rows(frame)
    path = tmp_path / "online.parquet"
    pd.concat([online, online.head(2)]).to_parquet(path)
    with pytest.raises(DataValidationError, match="share a customer id"):
        _load(str(write_csv(frame, tmp_path / "rows.csv")), str(path))


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


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(loan_date=pd.to_datetime(frame["loan_date"]))


def test_three_way_split_keeps_test_customers_and_months_out_of_training(
    frame: pd.DataFrame,
) -> None:
    typed = _typed(frame)
    config = SplitConfig(validation_fraction=0.2, test_fraction=0.2, test_months=3, salt=11)
    split = make_split(typed, config)
    rows = np.concatenate([split.train, split.validation, split.test])
    assert sorted(rows.tolist()) == list(range(len(frame)))  # every row exactly once
    train_ids = set(typed["id"].iloc[split.train])
    held_out = set(typed["id"].iloc[split.test[split.held_out_customer]])
    assert train_ids.isdisjoint(held_out)
    assert train_ids.isdisjoint(set(typed["id"].iloc[split.validation]))
    # Written out by hand: the latest three calendar months of the data.
    last = typed["loan_date"].max()
    cutoff = pd.Timestamp(year=last.year, month=last.month, day=1) - pd.DateOffset(months=2)
    assert split.fingerprint.test_cutoff == cutoff.date().isoformat()
    assert (typed["loan_date"].iloc[split.train] < cutoff).all()
    assert (typed["loan_date"].iloc[split.validation] < cutoff).all()
    late = np.flatnonzero((typed["loan_date"] >= cutoff).to_numpy())
    assert set(late) <= set(split.test)
    share = len(held_out) / typed["id"].nunique()
    assert 0.12 < share < 0.28
    again = make_split(typed.sample(frac=1.0, random_state=2).sort_index(), config)
    assert again.fingerprint == split.fingerprint


def test_test_customers_are_stable_when_customers_are_added(frame: pd.DataFrame) -> None:
    typed = _typed(frame)
    config = SplitConfig(salt=11)
    split = make_split(typed, config)
    held_out = set(typed["id"].iloc[split.test[split.held_out_customer]])
    grown = pd.concat([typed, typed.assign(id=typed["id"] + 10_000_000)], ignore_index=True)
    grown_split = make_split(grown, config)
    assert held_out <= set(grown["id"].iloc[grown_split.test[grown_split.held_out_customer]])
    assert set(grown["id"].iloc[grown_split.train]).isdisjoint(held_out)
    assert grown_split.fingerprint.unfair_against(split.fingerprint.to_dict()) is None
    other_salt = make_split(typed, SplitConfig(salt=12)).fingerprint.to_dict()
    assert "split definition differs" in str(split.fingerprint.unfair_against(other_salt))


def test_time_validation_takes_the_latest_loans_before_the_test_months(
    frame: pd.DataFrame,
) -> None:
    typed = _typed(frame)
    split = make_split(typed, SplitConfig(strategy="time", validation_fraction=0.2))
    dates = typed["loan_date"]
    assert dates.iloc[split.train].max() <= dates.iloc[split.validation].min()


def test_training_set_from_s3_pipeline_output(
    frame: pd.DataFrame, tmp_path: Path, aws_reset: str
) -> None:
    out = write_pipeline_run(frame, tmp_path / "lake")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="features")
    for file in out.rglob("*"):
        if file.is_file():
            s3.upload_file(str(file), "features", f"features/{file.relative_to(out)}")
    loaded = _load("s3://features/features")
    assert loaded.fingerprint == _load(str(out)).fingerprint
    assert loaded.serving is not None
    assert loaded.serving.run_id == "r1"
    s3.delete_object(Bucket="features", Key="features/run=r1/_SUCCESS")
    with pytest.raises(DataValidationError, match="_SUCCESS"):
        load_training_data("s3://features/features")
    s3.upload_file(str(out / "run=r1/training_set/csv/part-00000.csv"), "features", "one/part.csv")
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


def test_raw_defect_rows_are_skipped_and_counted_not_fatal(raw_csv: Path, tmp_path: Path) -> None:
    header, first, *rest = raw_csv.read_text().splitlines()
    fields = first.split(",")
    id_at = header.split(",").index("id")
    bad_id = [*fields[:id_at], "50088x4", *fields[id_at + 1 :]]
    defective = tmp_path / "loans.csv"
    lines = [header, first, ",".join(fields[:-1]), ",".join(bad_id), "", ",".join([*fields, "x"])]
    defective.write_text("\n".join([*lines, *rest]) + "\n")

    attributes = load_raw_attributes(str(defective))

    clean = load_raw_attributes(str(raw_csv))
    pd.testing.assert_frame_equal(attributes, clean)
    rows = 1 + len(rest)
    assert attributes.attrs["raw_rows"] == {
        "rows": rows + 4,
        "used": rows,
        "wrong_field_count": 2,
        "unreadable_id": 2,  # "50088x4" and the blank line
    }
    assert clean.attrs["raw_rows"]["used"] == clean.attrs["raw_rows"]["rows"] == rows


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("loan_id,status\n1,0\n", r"header \(first line\) has no column \['id', 'code_gender'"),
        ("id,code_gender,name_income_type\n", "no loan rows after the header"),
        ("id,code_gender,name_income_type", "no loan rows after the header"),
        ("id,code_gender,name_income_type\nx,F,Working\n", "no usable row: 1 of 1 rows skipped"),
    ],
)
def test_raw_file_that_cannot_give_slices_is_refused_clearly(
    text: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "raw.csv"
    path.write_text(text)
    with pytest.raises(DataValidationError, match=message):
        load_raw_attributes(str(path))
