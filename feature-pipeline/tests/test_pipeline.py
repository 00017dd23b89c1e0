"""End to end through run() / the CLI: the run layout, the pointer, failures, the volume guard."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import SparkSession
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from feature_pipeline import pipeline
from feature_pipeline.cli import app
from feature_pipeline.config import QualitySettings
from feature_pipeline.errors import InputError
from feature_pipeline.pipeline import PipelineRunError, default_run_id, run, settings_digest
from feature_pipeline.request import RunRequest
from feature_pipeline.schema import ONLINE_COLUMNS, TRAINING_COLUMNS
from tests.files import customers_file, small_file
from tests.rows import raw_line

AS_OF = date(2021, 9, 17)
RELAXED = QualitySettings(positive_rate_min=0.0, positive_rate_max=1.0)


@pytest.fixture(autouse=True)
def _test_sized_spark(monkeypatch: pytest.MonkeyPatch) -> None:
    # CLI runs call build_session, which reuses the suite's session: keep its settings.
    monkeypatch.setenv("FEATURE_PIPELINE_SPARK_SHUFFLE_PARTITIONS", "2")
    monkeypatch.setenv("FEATURE_PIPELINE_SPARK_MAX_PARTITION_BYTES", str(4 * 1024 * 1024))


def _read_online(url: str) -> pd.DataFrame:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(text("SELECT * FROM customer_features ORDER BY id"), connection)
    finally:
        engine.dispose()


def latest_run(output: Path) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    """_LATEST, the run folder it names and that folder's manifest."""
    pointer: dict[str, Any] = json.loads((output / "_LATEST").read_text())
    folder = output / pointer["prefix"]
    return pointer, folder, json.loads((folder / "_SUCCESS").read_text())


def _run_folders(output: Path) -> list[str]:
    return sorted(path.name for path in output.iterdir() if path.is_dir())


def test_full_run_commits_a_run_folder_then_moves_the_pointer(
    spark: SparkSession, generated_loans: Path, tmp_path: Path
) -> None:
    output, store = tmp_path / "out", f"sqlite:///{tmp_path / 'online.db'}"
    request = RunRequest.from_uris(str(generated_loans), str(output), store, AS_OF)
    report = run(request, spark=spark)

    pointer, folder, manifest = latest_run(output)
    expected_id = default_run_id(
        AS_OF, report["input"]["fingerprint"], settings_digest(QualitySettings())
    )
    assert manifest["run_id"] == report["run_id"] == pointer["run_id"] == expected_id
    assert pointer["prefix"] == f"run={expected_id}/"
    assert folder.name == f"run={expected_id}"
    assert pointer["as_of"] == manifest["as_of"] == "2021-09-17"
    assert (
        pointer["manifest_sha256"] == hashlib.sha256((folder / "_SUCCESS").read_bytes()).hexdigest()
    )
    assert sorted(p.name for p in output.iterdir()) == ["_LATEST", folder.name]
    listed = {item["path"] for item in manifest["files"]}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk - listed == {"_SUCCESS"}
    assert all((folder / i["path"]).stat().st_size == i["size_bytes"] for i in manifest["files"])

    csv_parts = sorted((folder / "training_set" / "csv").glob("part-*.csv"))
    assert all(p.read_text().split("\n", 1)[0] == ",".join(TRAINING_COLUMNS) for p in csv_parts)
    from_csv = pd.concat([pd.read_csv(part) for part in csv_parts]).sort_values("loan_id")
    from_parquet = pd.read_parquet(folder / "training_set" / "parquet").sort_values("loan_id")
    assert list(from_parquet.columns) == list(TRAINING_COLUMNS)
    assert len(from_csv) == len(from_parquet) == report["quality"]["rows_in"]
    for column in TRAINING_COLUMNS:
        left = from_csv[column].reset_index(drop=True)
        right = from_parquet[column].reset_index(drop=True)
        if column == "loan_date":
            right = right.astype(str)
        pd.testing.assert_series_equal(left, right, check_dtype=False, check_names=False)

    online = _read_online(store)
    published = pd.read_parquet(folder / "online" / "parquet").sort_values("id")
    assert list(published.columns) == list(ONLINE_COLUMNS)
    assert len(online) == len(published) == manifest["row_counts"]["online_rows"]
    assert set(online["run_id"]) == set(published["run_id"]) == {report["run_id"]}
    assert online["id"].tolist() == published["id"].tolist() == sorted(from_csv["id"].unique())
    assert json.loads((folder / "run_report.json").read_text())["run_id"] == report["run_id"]

    # Same input, as_of and settings: the same run, completed again without rewriting it.
    again = run(request, spark=spark)
    assert (again["run_id"], again["outputs"]["run_folder_reused"]) == (report["run_id"], True)
    pd.testing.assert_frame_equal(_read_online(store), online)
    assert latest_run(output)[2] == manifest
    assert sorted(p.name for p in output.iterdir()) == ["_LATEST", folder.name]


def test_cli_run_on_defective_input_writes_the_quarantine(
    defective_loans: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, manifest = defective_loans
    # The generator's out-of-window dates lie outside 2018-01-01..2021-12-31: that window, as of
    # 2021-09-17, is 3 years back and 105 days ahead.
    monkeypatch.setenv("FEATURE_PIPELINE_MAX_DAYS_AFTER_AS_OF", "105")
    output = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "run", "--input", str(path), "--output", str(output),
            "--online-store", f"sqlite:///{tmp_path / 'o.db'}", "--as-of", "2021-09-17",
            "--run-id", "defects-1",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == {
        "rows_in": manifest["rows_written"],
        "rows_accepted": manifest["clean_rows"],
        "rows_quarantined": manifest["defect_rows"],
    }
    assert (summary["latest"], summary["run"]) == ("run=defects-1/", str(output / "run=defects-1"))
    folder = output / "run=defects-1"
    quarantine = pd.concat(
        [pd.read_json(part, lines=True) for part in (folder / "quarantine").glob("part-*.json")]
    )
    got = {int(row.line_number): list(row.reasons) for row in quarantine.itertuples()}
    assert got == {entry["line"]: [entry["kind"]] for entry in manifest["defects"]}
    # Nothing is lost: each quarantined record carries that physical line of the file verbatim.
    file_lines = path.read_text().splitlines()
    assert all(row.raw_line == file_lines[row.line_number - 1] for row in quarantine.itertuples())
    training = pd.read_parquet(folder / "training_set" / "parquet")
    assert len(training) == manifest["clean_rows"]
    assert training["loan_id"].is_unique
    report = json.loads((folder / "run_report.json").read_text())
    # Every rule is counted; the two the generator does not inject count zero.
    assert report["quality"]["violations_by_rule"] == {
        **manifest["defect_counts"],
        "AMOUNT_BELOW_MINIMUM": 0,
        "BIRTHDAY_AFTER_LOAN_DATE": 0,
    }
    assert latest_run(output)[2]["row_counts"]["quarantined_rows"] == manifest["defect_rows"]


def _snapshot(output: Path, store: str) -> tuple[Any, ...]:
    """Everything a failed run must leave alone."""
    files = sorted(
        (p.relative_to(output).as_posix(), p.read_bytes()) for p in output.rglob("*") if p.is_file()
    )
    return files, _read_online(store).to_json(orient="records")  # NaN-safe comparison


def test_failed_expectations_exit_non_zero_and_change_nothing(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, store = tmp_path / "out", f"sqlite:///{tmp_path / 'o.db'}"
    source = small_file(tmp_path / "ok.csv")
    good = RunRequest.from_uris(str(source), str(output), store, AS_OF, run_id="good")
    run(good, RELAXED, spark=spark)
    before = _snapshot(output, store)

    # Three rows, one quarantined: a third of the file is over any sane quarantine limit.
    bad = small_file(tmp_path / "bad.csv", raw_line(loan_id="4", id="12", status="7"))
    monkeypatch.setenv("FEATURE_PIPELINE_POSITIVE_RATE_MIN", "0")
    result = CliRunner().invoke(
        app,
        [
            "run", "--input", str(bad), "--output", str(output), "--online-store", store,
            "--as-of", "2021-09-17", "--max-quarantine-share", "0.1",
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "[FAIL] quarantine_share: observed 0.25" in result.stderr
    assert "nothing was published" in result.stderr
    assert _snapshot(output, store) == before


def test_a_crash_while_writing_leaves_the_previous_run_and_store(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, store = tmp_path / "out", f"sqlite:///{tmp_path / 'o.db'}"
    run(
        RunRequest.from_uris(str(small_file(tmp_path / "a.csv")), str(output), store, AS_OF),
        RELAXED,
        spark=spark,
    )
    before = _snapshot(output, store)

    def crash(*args: object) -> None:
        raise RuntimeError("executor lost")

    monkeypatch.setattr(pipeline, "write_training_parquet", crash)
    source = small_file(tmp_path / "b.csv", raw_line(loan_id="4", id="12"))
    with pytest.raises(RuntimeError, match="executor lost"):
        run(RunRequest.from_uris(str(source), str(output), store, AS_OF), RELAXED, spark=spark)
    assert _snapshot(output, store) == before  # no new folder, no staging folder left
    engine = create_engine(store)
    with engine.connect() as connection:
        tables = (
            connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            .scalars()
            .all()
        )
    engine.dispose()
    assert tables == ["customer_features"]  # the staging table was dropped


def test_a_one_customer_in_ten_file_is_refused_unless_shrinking_is_allowed(
    spark: SparkSession, generated_loans: Path, tmp_path: Path
) -> None:
    output, store = tmp_path / "out", f"sqlite:///{tmp_path / 'o.db'}"
    full = customers_file(generated_loans, tmp_path / "full.csv", limit=400)
    truncated = customers_file(generated_loans, tmp_path / "tenth.csv", every=10, limit=400)
    run(RunRequest.from_uris(str(full), str(output), store, AS_OF), spark=spark)
    before = _snapshot(output, store)
    arguments = [
        "run", "--input", str(truncated), "--output", str(output), "--online-store", store,
        "--as-of", "2021-09-17",
    ]  # fmt: skip

    refused = CliRunner().invoke(app, arguments)

    assert refused.exit_code == 1, refused.output
    assert "it would lose 360 of the 400 live customers (90.0%" in refused.stderr
    assert "the new store has 40 rows" in refused.stderr
    assert "[FAIL] store_customers_lost" in refused.stderr
    assert _snapshot(output, store) == before

    allowed = CliRunner().invoke(app, [*arguments, "--allow-shrink"])

    assert allowed.exit_code == 0, allowed.output
    assert len(_read_online(store)) == 40
    pointer, _, manifest = latest_run(output)
    assert manifest["row_counts"]["online_rows"] == 40
    assert pointer["run_id"] == json.loads(allowed.stdout)["run_id"]


def test_a_committed_run_id_is_never_overwritten_by_other_input(
    spark: SparkSession, tmp_path: Path
) -> None:
    output, store = tmp_path / "out", f"sqlite:///{tmp_path / 'o.db'}"
    first = small_file(tmp_path / "a.csv")
    run(
        RunRequest.from_uris(str(first), str(output), store, AS_OF, run_id="r1"),
        RELAXED,
        spark=spark,
    )
    before = _snapshot(output, store)
    other = small_file(tmp_path / "b.csv", raw_line(loan_id="4", id="12"))
    request = RunRequest.from_uris(str(other), str(output), store, AS_OF, run_id="r1")
    with pytest.raises(InputError, match="already committed"):
        run(request, RELAXED, spark=spark)
    assert _snapshot(output, store) == before


def test_bad_header_is_a_clear_input_error(tmp_path: Path) -> None:
    source = tmp_path / "noheader.csv"
    source.write_text(raw_line() + "\n" + raw_line(loan_id="2") + "\n")
    result = CliRunner().invoke(
        app,
        [
            "run", "--input", str(source), "--output", str(tmp_path / "out"),
            "--online-store", f"sqlite:///{tmp_path / 'o.db'}", "--as-of", "2021-09-17",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "expected 24-column header" in result.stderr
    assert raw_line()[:40] in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--as-of", "2021-13-01"], "not a YYYY-MM-DD date"),
        (["--input", "/nonexistent/loans.csv"], "does not exist"),
        (["--run-id", "../escape"], "run id must be"),
        (["--store-auth", "kerberos"], "is not one of password, iam"),
        (["--store-auth", "iam"], "needs a postgresql URL"),
    ],
)
def test_invalid_arguments_are_rejected_before_any_work(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    source = small_file(tmp_path / "ok.csv")
    defaults = {
        "--input": str(source),
        "--output": str(tmp_path / "out"),
        "--online-store": f"sqlite:///{tmp_path / 'o.db'}",
        "--as-of": "2021-09-17",
    }
    for flag, value in zip(arguments[::2], arguments[1::2], strict=True):
        defaults[flag] = value
    result = CliRunner().invoke(app, ["run", *[item for pair in defaults.items() for item in pair]])
    assert result.exit_code == 2
    assert message in result.output + result.stderr
    assert not (tmp_path / "out").exists()


def test_input_inside_the_output_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "out"
    output.mkdir()
    source = small_file(output / "loans.csv")
    with pytest.raises(InputError, match="inside the output"):
        run(RunRequest.from_uris(str(source), str(output), "sqlite://", AS_OF), RELAXED)
    assert source.exists()


def test_pipeline_failed_carries_a_report(spark: SparkSession, tmp_path: Path) -> None:
    source = small_file(tmp_path / "ok.csv")
    request = RunRequest.from_uris(str(source), str(tmp_path / "out"), "sqlite://", AS_OF)
    with pytest.raises(PipelineRunError) as failure:
        run(request, spark=spark)
    names = {item["name"]: item["passed"] for item in failure.value.report["expectations"]}
    assert names["positive_rate"] is False  # 1 of 3 rows is positive: outside the default band
    assert names["rows_balance"] is True
    assert failure.value.report["quality"]["rows_in"] == 3


def test_computed_once_keeps_rows_for_later_actions_then_releases_them(
    spark: SparkSession,
) -> None:
    def stored_rdds() -> set[int]:
        return {info.id() for info in spark.sparkContext._jsc.sc().getRDDStorageInfo()}

    before = stored_rdds()
    frame = spark.range(10_000).selectExpr("id", "id % 7 AS bucket")
    with pipeline.computed_once(frame) as kept:
        assert kept.groupBy("bucket").count().count() == 7  # the first action stores the rows
        held = stored_rdds() - before
        assert len(held) == 1
        assert kept.agg({"id": "sum"}).first()[0] == sum(range(10_000))
        assert stored_rdds() - before == held  # read back, not stored again
    assert stored_rdds() - before == set()


def test_no_report_or_message_shows_the_store_password(tmp_path: Path, store_db: Any) -> None:
    with_password = store_db.pipeline_url.replace("feature_pipeline@", "feature_pipeline:s3cr3t@")
    arguments = [
        "run", "--input", str(small_file(tmp_path / "a.csv")), "--output", str(tmp_path / "out"),
        "--as-of", "2021-09-17", "--max-quarantine-share", "0.5",
    ]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATURE_PIPELINE_POSITIVE_RATE_MAX", "1")
        published = CliRunner().invoke(app, [*arguments, "--online-store", with_password])
        unreachable = with_password.rsplit("@", 1)[0] + "@127.0.0.1:1/features"
        failed = CliRunner().invoke(app, [*arguments, "--online-store", unreachable])
    assert published.exit_code == 0, published.output
    assert failed.exit_code == 3
    _, folder, _ = latest_run(tmp_path / "out")
    stored = json.loads((folder / "run_report.json").read_text())["online_store"]["url"]
    assert stored.startswith("postgresql+psycopg2://feature_pipeline:***@")
    for shown in (published.output, failed.output, (folder / "run_report.json").read_text()):
        assert "s3cr3t" not in shown
