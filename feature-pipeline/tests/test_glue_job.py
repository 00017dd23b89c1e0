"""glue/job.py: every Glue argument reaches the run (its argparse fallback, on local Spark)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession
from sqlalchemy import create_engine, text

from feature_pipeline.config import QualitySettings
from tests.files import small_file

JOB = Path(__file__).resolve().parents[1] / "glue" / "job.py"


def _load_glue_job() -> Any:
    spec = importlib.util.spec_from_file_location("glue_job", JOB)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_glue_arguments_map_onto_the_same_run(spark: SparkSession, tmp_path: Path) -> None:
    glue_job = _load_glue_job()
    store = f"sqlite:///{tmp_path / 'o.db'}"
    argv = [
        "job.py", "--JOB_NAME", "feature-pipeline", "--input", str(small_file(tmp_path / "a.csv")),
        "--output", str(tmp_path / "out"), "--online_store", store, "--as_of", "2019-01-02",
        "--run_id", "glue-1", "--store_auth", "password", "--allow_shrink", "false",
        "--retain_runs", "3",
        # Per-market quality settings, by their QualitySettings names: loans dated the day
        # after as_of are plausible here, and one positive in three rows is allowed.
        "--max_days_after_as_of", "1", "--positive_rate_max", "1", "--loan_history_years", "2",
    ]  # fmt: skip
    assert glue_job.main(argv) == 0
    pointer = json.loads((tmp_path / "out" / "_LATEST").read_text())
    folder = tmp_path / "out" / pointer["prefix"]
    manifest = json.loads((folder / "_SUCCESS").read_text())
    assert (manifest["run_id"], manifest["as_of"]) == ("glue-1", "2019-01-02")
    assert manifest["row_counts"]["quarantined_rows"] == 0
    settings = json.loads((folder / "run_report.json").read_text())["settings"]
    assert (settings["max_days_after_as_of"], settings["loan_history_years"]) == (1, 2)
    engine = create_engine(store)
    with engine.connect() as connection:
        online = connection.execute(text("SELECT id, nb_previous_loans FROM customer_features"))
        # As of 2019-01-02 only customer 10's first loan exists.
        assert [tuple(row) for row in online] == [(10, 1)]
    engine.dispose()


def test_every_quality_setting_is_a_glue_argument() -> None:
    glue_job = _load_glue_job()
    base = ["job.py", "--input", "s3://raw/l.csv", "--output", "s3://lake/f", "--online_store", "x"]
    values = {name: str(value) for name, value in QualitySettings().model_dump().items()}
    argv = base + [item for name, value in values.items() for item in (f"--{name}", value)]
    options = glue_job.resolved_options(argv)
    assert {name: options[name] for name in values} == values
    _, quality = glue_job.build_request(options)
    assert quality == QualitySettings()


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (["--max_quarantine_share", "lots"], "max_quarantine_share"),
        (["--allow_shrink", "yes"], "--allow_shrink must be true or false"),
        (["--store_auth", "secret"], "--store_auth must be one of password, iam"),
        (["--as_of", "2020-13-01"], "is not a YYYY-MM-DD date"),
    ],
)
def test_unusable_glue_arguments_are_a_clear_error(
    argument: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    glue_job = _load_glue_job()
    argv = [
        "job.py", "--input", str(tmp_path / "a.csv"), "--output", str(tmp_path / "out"),
        "--online_store", "sqlite://", *argument,
    ]  # fmt: skip
    assert glue_job.main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_as_of_defaults_to_the_run_date() -> None:
    glue_job = _load_glue_job()
    options = glue_job.resolved_options(
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
    assert options["as_of"] is None
    before = datetime.now(UTC).date()
    assert glue_job.resolve_as_of(None) in {before, datetime.now(UTC).date()}
    assert glue_job.resolve_as_of("2020-01-02") == date(2020, 1, 2)


def test_the_glue_path_needs_neither_the_jvm_tooling_nor_the_cli() -> None:
    """The job ships only the feature_pipeline package (a zip), not feature_pipeline_jvm."""
    probe = (
        "import sys; sys.modules['feature_pipeline_jvm'] = None; sys.modules['typer'] = None; "
        "import runpy; job = runpy.run_path(sys.argv[1]); "
        "import feature_pipeline.outcome, feature_pipeline.pipeline; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(JOB)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
