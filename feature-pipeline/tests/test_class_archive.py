"""The JVM class-data-sharing archive: where it lives, that a JVM really maps it, that a broken
one is harmless, and that the built-in sample it is trained on exercises the quality rules."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from feature_pipeline import class_archive
from feature_pipeline.config import SparkSettings
from feature_pipeline.quality import quality_stats_by_block, summarise, validate
from feature_pipeline.spark_session import java_options
from tests.rows import lines_frame

WINDOW = (date(2018, 1, 1), date(2021, 12, 31))


def test_the_sample_sends_lines_through_acceptance_and_quarantine(spark: SparkSession) -> None:
    _header, *lines = class_archive.sample_lines()
    validated = validate(lines_frame(spark, lines), *WINDOW)
    counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
    assert (counts.rows_in, counts.rows_accepted, counts.rows_quarantined) == (50, 48, 2)
    assert counts.by_rule["BAD_FLAG_OWN_CAR"] == 1
    assert counts.by_rule["DUPLICATE_LOAN_ID"] == 2
    assert counts.accepted_positives == 1


def test_the_archive_name_follows_the_jdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SparkSettings(class_archive_dir=tmp_path)
    real = class_archive.archive_path(settings)
    assert real is not None
    assert (real.parent, real.suffix) == (tmp_path, ".jsa")
    other_jdk = tmp_path / "other-jdk"
    (other_jdk / "bin").mkdir(parents=True)
    (other_jdk / "bin" / "java").write_text("#!/bin/sh\n")
    (other_jdk / "bin" / "java").chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(other_jdk))
    assert class_archive.archive_path(settings) not in (None, real)


def test_no_archive_option_until_one_is_built_or_when_sharing_is_off(tmp_path: Path) -> None:
    settings = SparkSettings(class_archive_dir=tmp_path)
    assert class_archive.usable_archive(settings) is None
    assert "SharedArchiveFile" not in java_options(settings)
    path = class_archive.archive_path(settings)
    assert path is not None
    path.write_bytes(b"x")
    assert f"-XX:SharedArchiveFile={path}" in java_options(settings)
    off = SparkSettings(class_archive_dir=tmp_path, class_data_sharing=False)
    assert "SharedArchiveFile" not in java_options(off)


def test_no_archive_when_an_agent_hooks_class_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = SparkSettings(class_archive_dir=tmp_path)
    path = class_archive.archive_path(settings)
    assert path is not None
    path.write_bytes(b"x")
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-XX:StartFlightRecording=filename=run.jfr")
    assert "SharedArchiveFile" not in java_options(settings)
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-agentpath:/opt/profiler/libasyncProfiler.so")
    assert "SharedArchiveFile" not in java_options(settings)


_SESSION_PROBE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from feature_pipeline.config import SparkSettings
    from feature_pipeline.spark_session import build_session, java_options

    settings = SparkSettings(master="local[1]", class_archive_dir=Path(sys.argv[1]))
    # Log where every class came from, next to the options the job really uses.
    logged = java_options(settings) + f" -Xlog:class+load=info:file={sys.argv[2]}"
    spark = build_session(
        settings.model_copy(update={"extra_conf": {"spark.driver.extraJavaOptions": logged}})
    )
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
    settings = SparkSettings(class_archive_dir=tmp_path_factory.mktemp("class-archive"))
    path = class_archive.build(settings)
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
    settings = SparkSettings(class_archive_dir=built_archive.parent)
    before = built_archive.stat().st_mtime_ns
    assert class_archive.build(settings) == built_archive
    assert built_archive.stat().st_mtime_ns == before


def test_a_corrupt_archive_only_costs_start_up_time(tmp_path: Path) -> None:
    settings = SparkSettings(class_archive_dir=tmp_path)
    path = class_archive.archive_path(settings)
    assert path is not None
    path.write_bytes(os.urandom(4096))
    class_log = tmp_path / "classes.log"
    probe = _start_session(tmp_path, class_log)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.strip().splitlines()[-1] == "499500"
    assert "shared objects file (top)" not in class_log.read_text()


def test_an_unusable_archive_dir_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from feature_pipeline.cli import app

    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    monkeypatch.setenv("FEATURE_PIPELINE_SPARK_CLASS_ARCHIVE_DIR", str(not_a_dir / "cache"))
    result = CliRunner().invoke(app, ["build-class-archive"])
    assert result.exit_code == 1
    assert "class archive not built" in result.output
    assert "Not a directory" in result.output
