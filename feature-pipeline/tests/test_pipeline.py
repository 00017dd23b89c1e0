"""End to end through run() / the CLI: outputs, manifest, atomicity, failures, idempotence."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from pyspark.sql import SparkSession
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from feature_pipeline import pipeline
from feature_pipeline.cli import app
from feature_pipeline.config import QualitySettings
from feature_pipeline.pipeline import PipelineRunError, RunRequest, run
from feature_pipeline.schema import RAW_HEADER, TRAINING_COLUMNS
from feature_pipeline.storage import InputError
from tests.rows import raw_line

AS_OF = date(2021, 9, 17)
RELAXED = QualitySettings(positive_rate_min=0.0, positive_rate_max=1.0)


@pytest.fixture(autouse=True)
def _test_sized_spark(monkeypatch: pytest.MonkeyPatch) -> None:
    # CLI runs call build_session, which reuses the suite's session: keep its settings.
    monkeypatch.setenv("FEATURE_PIPELINE_SPARK_SHUFFLE_PARTITIONS", "2")
    monkeypatch.setenv("FEATURE_PIPELINE_SPARK_MAX_PARTITION_BYTES", str(4 * 1024 * 1024))


def _small_file(path: Path, *extra_lines: str) -> Path:
    lines = [
        raw_line(loan_id="1", id="10", loan_date="2019-01-02", status="1"),
        raw_line(loan_id="2", id="10", loan_date="2019-01-03"),
        raw_line(loan_id="3", id="11", loan_date="2019-01-03"),
        *extra_lines,
    ]
    path.write_text("\n".join([RAW_HEADER, *lines]) + "\n")
    return path


def _read_online(url: str) -> pd.DataFrame:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(text("SELECT * FROM customer_features ORDER BY id"), connection)
    finally:
        engine.dispose()


def _manifest(output: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((output / "_SUCCESS").read_text())
    return manifest


def test_full_run_commits_consistent_outputs_and_reruns_idempotently(
    spark: SparkSession, generated_loans: Path, tmp_path: Path
) -> None:
    output, store = tmp_path / "out", f"sqlite:///{tmp_path / 'online.db'}"
    request = RunRequest(str(generated_loans), str(output), store, AS_OF)
    report = run(request, spark=spark)

    manifest = _manifest(output)
    listed = {item["path"] for item in manifest["files"]}
    on_disk = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    assert on_disk - listed == {"_SUCCESS"}
    assert all(
        (output / item["path"]).stat().st_size == item["size_bytes"] for item in manifest["files"]
    )
    assert (
        manifest["run_id"] == report["run_id"] == f"20210917-{report['input']['fingerprint'][7:19]}"
    )

    csv_parts = sorted((output / "training_set" / "csv").glob("part-*.csv"))
    assert len(csv_parts) >= 1
    assert all(
        part.read_text().split("\n", 1)[0] == ",".join(TRAINING_COLUMNS) for part in csv_parts
    )
    from_csv = pd.concat([pd.read_csv(part) for part in csv_parts]).sort_values("loan_id")
    from_parquet = pd.read_parquet(output / "training_set" / "parquet").sort_values("loan_id")
    assert list(from_parquet.columns) == list(TRAINING_COLUMNS)
    assert len(from_csv) == len(from_parquet) == report["quality"]["rows_in"]
    for column in TRAINING_COLUMNS:
        left = from_csv[column].reset_index(drop=True)
        right = from_parquet[column].reset_index(drop=True)
        if column == "loan_date":
            right = right.astype(str)
        pd.testing.assert_series_equal(left, right, check_dtype=False, check_names=False)

    quality = report["quality"]
    assert quality["rows_in"] == quality["rows_accepted"] + quality["rows_quarantined"]
    assert quality["rows_quarantined"] == 0
    assert json.loads((output / "run_report.json").read_text())["run_id"] == report["run_id"]
    assert set(report["timings_seconds"]) >= {"read_and_validate", "training_csv", "online_store"}

    online = _read_online(store)
    assert len(online) == report["customers"]["online_rows"] == from_csv["id"].nunique()
    assert set(online["run_id"]) == {report["run_id"]}

    # Same input, same as_of: same run id, same online table, same training rows.
    again = run(request, spark=spark)
    assert again["run_id"] == report["run_id"]
    pd.testing.assert_frame_equal(_read_online(store), online)
    rerun_parquet = pd.read_parquet(output / "training_set" / "parquet").sort_values("loan_id")
    pd.testing.assert_frame_equal(
        rerun_parquet.reset_index(drop=True), from_parquet.reset_index(drop=True)
    )
    assert not list(tmp_path.glob(".out.*")), "staging or retired directories left behind"


def test_cli_run_on_defective_input_writes_the_quarantine(
    defective_loans: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, manifest = defective_loans
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
    quarantine = pd.concat(
        [pd.read_json(part, lines=True) for part in (output / "quarantine").glob("part-*.json")]
    )
    got = {int(row.line_number): list(row.reasons) for row in quarantine.itertuples()}
    assert got == {entry["line"]: [entry["kind"]] for entry in manifest["defects"]}
    # Nothing is lost: each quarantined record carries that physical line of the file verbatim.
    file_lines = path.read_text().splitlines()
    assert all(row.raw_line == file_lines[row.line_number - 1] for row in quarantine.itertuples())
    training = pd.read_parquet(output / "training_set" / "parquet")
    assert len(training) == manifest["clean_rows"]
    assert training["loan_id"].is_unique
    report = json.loads((output / "run_report.json").read_text())
    assert report["quality"]["violations_by_rule"] == manifest["defect_counts"]
    assert _manifest(output)["row_counts"]["quarantined_rows"] == manifest["defect_rows"]


def test_failed_expectations_exit_non_zero_and_keep_the_previous_output(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, store = tmp_path / "out", f"sqlite:///{tmp_path / 'o.db'}"
    source = _small_file(tmp_path / "ok.csv")
    run(RunRequest(str(source), str(output), store, AS_OF, run_id="good"), RELAXED, spark=spark)
    before = _manifest(output)

    # Three rows, one quarantined: a third of the file is over any sane quarantine limit.
    bad = _small_file(tmp_path / "bad.csv", raw_line(loan_id="4", id="12", status="7"))
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
    assert "nothing was committed" in result.stderr
    assert _manifest(output) == before
    assert set(_read_online(store)["run_id"]) == {"good"}
    assert not list(tmp_path.glob(".out.*"))


def test_a_crash_while_writing_leaves_no_complete_looking_output(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, store = tmp_path / "out", f"sqlite:///{tmp_path / 'o.db'}"
    source = _small_file(tmp_path / "ok.csv")

    def crash(*args: object) -> None:
        raise RuntimeError("executor lost")

    monkeypatch.setattr(pipeline, "write_training_parquet", crash)
    with pytest.raises(RuntimeError, match="executor lost"):
        run(RunRequest(str(source), str(output), store, AS_OF), RELAXED, spark=spark)
    assert not output.exists()
    assert not list(tmp_path.glob(".out.*"))
    with pytest.raises(Exception, match="customer_features"):
        _read_online(store)


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
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--as-of", "2021-13-01"], "not a YYYY-MM-DD date"),
        (["--input", "/nonexistent/loans.csv"], "does not exist"),
        (["--run-id", "../escape"], "run id must be"),
    ],
)
def test_invalid_arguments_are_rejected_before_any_work(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    source = _small_file(tmp_path / "ok.csv")
    defaults = {
        "--input": str(source),
        "--output": str(tmp_path / "out"),
        "--online-store": f"sqlite:///{tmp_path / 'o.db'}",
        "--as-of": "2021-09-17",
    }
    for flag, value in zip(arguments[::2], arguments[1::2], strict=True):
        defaults[flag] = value
    argv = ["run", *[item for pair in defaults.items() for item in pair]]
    argv += [a for a in arguments if a not in defaults and a not in defaults.values()]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert message in result.output + result.stderr
    assert not (tmp_path / "out").exists()


def test_input_inside_the_output_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "out"
    output.mkdir()
    source = _small_file(output / "loans.csv")
    with pytest.raises(InputError, match="inside the output"):
        run(RunRequest(str(source), str(output), "sqlite://", AS_OF), RELAXED)
    assert source.exists()


def test_glue_entry_maps_its_arguments_onto_the_same_run(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "glue_job", Path(__file__).resolve().parents[1] / "glue" / "job.py"
    )
    assert spec is not None
    assert spec.loader is not None
    glue_job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(glue_job)
    source = _small_file(tmp_path / "ok.csv")
    store = f"sqlite:///{tmp_path / 'o.db'}"
    argv = [
        "job.py", "--JOB_NAME", "feature-pipeline", "--input", str(source),
        "--output", str(tmp_path / "out"), "--online_store", store, "--as_of", "2019-01-02",
        "--run_id", "glue-1", "--max_quarantine_share", "0.5",
    ]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATURE_PIPELINE_POSITIVE_RATE_MAX", "1")
        assert glue_job.main(argv) == 0
    manifest = _manifest(tmp_path / "out")
    assert (manifest["run_id"], manifest["as_of"]) == ("glue-1", "2019-01-02")
    online = _read_online(store)
    # As of 2019-01-02 only customer 10's first loan exists.
    assert online[["id", "nb_previous_loans"]].values.tolist() == [[10, 1]]


def test_pipeline_failed_carries_a_report(spark: SparkSession, tmp_path: Path) -> None:
    source = _small_file(tmp_path / "ok.csv")
    with pytest.raises(PipelineRunError) as failure:
        run(RunRequest(str(source), str(tmp_path / "out"), "sqlite://", AS_OF), spark=spark)
    names = {item["name"]: item["passed"] for item in failure.value.report["expectations"]}
    assert names["positive_rate"] is False  # 1 of 3 rows is positive: outside the default band
    assert names["rows_balance"] is True


def _load_glue_job() -> Any:
    spec = importlib.util.spec_from_file_location(
        "glue_job_secret", Path(__file__).resolve().parents[1] / "glue" / "job.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_glue_entry_reads_store_credentials_from_secrets_manager(aws_reset: str) -> None:
    import boto3

    arn = boto3.client("secretsmanager").create_secret(
        Name="rds!db-feature-store",
        SecretString=json.dumps({"username": "features", "password": "p@ss/w:rd"}),
    )["ARN"]
    glue_job = _load_glue_job()
    url = glue_job.store_url_with_secret("postgresql+psycopg2://db.internal:5432/features", arn)
    parsed = sa.engine.make_url(url)
    assert (parsed.username, parsed.password) == ("features", "p@ss/w:rd")
    assert (parsed.host, parsed.port, parsed.database) == ("db.internal", 5432, "features")
    assert glue_job.store_url_with_secret("sqlite:///x.db", None) == "sqlite:///x.db"


def test_glue_entry_as_of_defaults_to_the_run_date() -> None:
    glue_job = _load_glue_job()
    options = glue_job._resolved_options(
        [
            "job.py",
            "--input",
            "s3://raw/loans.csv",
            "--output",
            "s3://lake/f",
            "--online_store",
            "x",
        ]
    )
    assert (options["as_of"], options["store_secret_arn"]) == (None, None)
    before = datetime.now(UTC).date()
    assert glue_job.resolve_as_of(None) in {before, datetime.now(UTC).date()}
    assert glue_job.resolve_as_of("2020-01-02") == date(2020, 1, 2)
    with pytest.raises(ValueError, match=r"--as_of '2020-13-01' is not a YYYY-MM-DD date"):
        glue_job.resolve_as_of("2020-13-01")


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
