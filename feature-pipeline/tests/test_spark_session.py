"""Session settings that depend on the run: JIT tiers by input size, and the input size hint."""

from __future__ import annotations

from pathlib import Path

from feature_pipeline.config import SparkSettings
from feature_pipeline.spark_session import java_options, session_conf
from feature_pipeline.storage import local_input_size

C1_ONLY = "-XX:TieredStopAtLevel=1"


def test_short_jobs_run_on_c1_and_large_inputs_get_the_optimising_jit() -> None:
    settings = SparkSettings(full_jit_from_bytes=1000)
    assert C1_ONLY in java_options(settings, input_bytes=999).split()
    assert C1_ONLY not in java_options(settings, input_bytes=1000).split()
    # Size unknown (s3:// staged through boto3): the short-job choice.
    assert C1_ONLY in java_options(settings).split()
    conf = session_conf(settings, input_bytes=5000)
    assert C1_ONLY not in conf["spark.driver.extraJavaOptions"].split()
    assert "-XX:+UseParallelGC" in conf["spark.driver.extraJavaOptions"].split()


def test_extra_conf_replaces_the_java_options_whole() -> None:
    settings = SparkSettings(extra_conf={"spark.driver.extraJavaOptions": "-Xss4m"})
    assert session_conf(settings, input_bytes=1)["spark.driver.extraJavaOptions"] == "-Xss4m"


def test_input_size_hint_is_local_only(tmp_path: Path) -> None:
    source = tmp_path / "loans.csv"
    source.write_bytes(b"x" * 1234)
    assert local_input_size(str(source)) == 1234
    assert local_input_size(str(tmp_path / "missing.csv")) is None
    assert local_input_size("s3://bucket/raw/loans.csv") is None
