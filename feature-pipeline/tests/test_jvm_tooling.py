"""Local JVM start-up tooling (feature_pipeline_jvm): the options lookup and the archive builder.

Where the archive lives, that a JVM really maps it, that a broken one is harmless, that the
sample it is built from exercises the quality rules, and which JIT tiers a run gets.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from feature_pipeline.config import DateWindow, SparkSettings
from feature_pipeline.location import LocalPath, parse_location
from feature_pipeline.quality import quality_stats_by_block, summarise, validate
from feature_pipeline.spark_session import session_conf
from feature_pipeline_jvm import archive
from feature_pipeline_jvm.options import C1_ONLY, JvmSettings, archive_path, java_options
from tests.rows import lines_frame


def test_the_sample_sends_lines_through_acceptance_and_quarantine(spark: SparkSession) -> None:
    _header, *lines = archive.sample_text().splitlines()
    dates = [row["loan_date"] for row in csv.DictReader(io.StringIO(archive.sample_text()))]
    window = DateWindow(date.fromisoformat(min(dates)), date.fromisoformat(max(dates)))
    validated = validate(lines_frame(spark, lines), window)
    counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
    assert (counts.rows_in, counts.rows_accepted, counts.rows_quarantined) == (50, 48, 2)
    assert counts.by_rule["BAD_FLAG_OWN_CAR"] == 1
    assert counts.by_rule["DUPLICATE_LOAN_ID"] == 1
    assert counts.accepted_positives == 1


def test_the_archive_name_follows_the_jdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = JvmSettings(class_archive_dir=tmp_path)
    real = archive_path(settings)
    assert real is not None
    assert (real.parent, real.suffix) == (tmp_path, ".jsa")
    other_jdk = tmp_path / "other-jdk"
    (other_jdk / "bin").mkdir(parents=True)
    (other_jdk / "bin" / "java").write_text("#!/bin/sh\n")
    (other_jdk / "bin" / "java").chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(other_jdk))
    assert archive_path(settings) not in (None, real)


def test_no_archive_option_until_one_is_built_or_when_sharing_is_off(tmp_path: Path) -> None:
    settings = JvmSettings(class_archive_dir=tmp_path)
    assert not any("SharedArchiveFile" in option for option in java_options(settings))
    path = archive_path(settings)
    assert path is not None
    path.write_bytes(b"x")
    assert f"-XX:SharedArchiveFile={path}" in java_options(settings)
    off = JvmSettings(class_archive_dir=tmp_path, class_data_sharing=False)
    assert not any("SharedArchiveFile" in option for option in java_options(off))


def test_no_archive_when_an_agent_hooks_class_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = JvmSettings(class_archive_dir=tmp_path)
    path = archive_path(settings)
    assert path is not None
    path.write_bytes(b"x")
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-XX:StartFlightRecording=filename=run.jfr")
    assert not any("SharedArchiveFile" in option for option in java_options(settings))
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-agentpath:/opt/profiler/libasyncProfiler.so")
    assert not any("SharedArchiveFile" in option for option in java_options(settings))


def test_short_jobs_run_on_c1_and_large_inputs_get_the_optimising_jit() -> None:
    settings = JvmSettings(full_jit_from_bytes=1000)
    assert C1_ONLY in java_options(settings, input_bytes=999)
    assert C1_ONLY not in java_options(settings, input_bytes=1000)
    # Size unknown (s3:// staged through boto3): the short-job choice.
    assert C1_ONLY in java_options(settings)
    conf = session_conf(SparkSettings(), java_options(settings, input_bytes=5000))
    assert C1_ONLY not in conf["spark.driver.extraJavaOptions"].split()
    assert "-XX:+UseParallelGC" in conf["spark.driver.extraJavaOptions"].split()


def test_extra_conf_replaces_the_java_options_whole() -> None:
    settings = SparkSettings(extra_conf={"spark.driver.extraJavaOptions": "-Xss4m"})
    assert session_conf(settings, ["-XX:+UseParallelGC"])["spark.driver.extraJavaOptions"] == (
        "-Xss4m"
    )


def test_input_size_hint_is_local_only(tmp_path: Path) -> None:
    source = tmp_path / "loans.csv"
    source.write_bytes(b"x" * 1234)
    assert LocalPath(source).size_bytes() == 1234
    assert LocalPath(tmp_path / "missing.csv").size_bytes() is None
    assert parse_location("s3://bucket/raw/loans.csv").size_bytes() is None


_SESSION_PROBE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from feature_pipeline.config import SparkSettings
    from feature_pipeline.spark_session import build_session
    from feature_pipeline_jvm.options import JvmSettings, java_options

    jvm = JvmSettings(class_archive_dir=Path(sys.argv[1]))
    # Log where every class came from, next to the options the job really uses.
    options = [*java_options(jvm), f"-Xlog:class+load=info:file={sys.argv[2]}"]
    spark = build_session(SparkSettings(master="local[1]"), java_options=options)
    print(spark.range(1000).selectExpr("sum(id)").first()[0])
    """
)


def _start_session(archive_dir: Path, class_log: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SESSION_PROBE, str(archive_dir), str(class_log)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "FEATURE_PIPELINE_SPARK_CLASS_DATA_SHARING": "true"},
    )


@pytest.fixture(scope="module")
def built_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = JvmSettings(class_archive_dir=tmp_path_factory.mktemp("class-archive"))
    path = archive.build(settings)
    assert path.stat().st_size > 10 * 2**20
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]  # no staging left
    return path


def test_a_built_archive_is_mapped_by_the_next_jvm(built_archive: Path, tmp_path: Path) -> None:
    class_log = tmp_path / "classes.log"
    probe = _start_session(built_archive.parent, class_log)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.strip().splitlines()[-1] == "499500"
    loaded = class_log.read_text().splitlines()
    from_archive = [line for line in loaded if "shared objects file (top)" in line]
    # The dynamic archive (the "top" layer) supplies the Spark classes themselves.
    assert len(from_archive) > 5000
    assert any("org.apache.spark.sql.SparkSession " in line for line in from_archive)


def test_building_again_keeps_the_archive_unless_forced(built_archive: Path) -> None:
    settings = JvmSettings(class_archive_dir=built_archive.parent)
    before = built_archive.stat().st_mtime_ns
    assert archive.build(settings) == built_archive
    assert built_archive.stat().st_mtime_ns == before


def test_a_corrupt_archive_only_costs_start_up_time(tmp_path: Path) -> None:
    path = archive_path(JvmSettings(class_archive_dir=tmp_path))
    assert path is not None
    path.write_bytes(os.urandom(4096))
    class_log = tmp_path / "classes.log"
    probe = _start_session(tmp_path, class_log)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.strip().splitlines()[-1] == "499500"
    assert "shared objects file (top)" not in class_log.read_text()


def test_an_unusable_archive_dir_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    monkeypatch.setenv("FEATURE_PIPELINE_SPARK_CLASS_ARCHIVE_DIR", str(not_a_dir / "cache"))
    assert archive.main(["build-class-archive"]) == 1
    error = capsys.readouterr().err
    assert "class archive not built" in error
    assert "Not a directory" in error
