"""Builds the local Spark session with the settings the benchmark was tuned with."""

from __future__ import annotations

from pyspark.sql import SparkSession

from feature_pipeline.class_archive import usable_archive
from feature_pipeline.config import SparkSettings

# A batch job on 2 cores: the parallel collector spends less CPU than G1's bookkeeping. JVM
# warnings go to stderr, never into the CLI's JSON on stdout.
_JAVA_OPTIONS = ("-XX:+UseParallelGC", "-Xlog:disable", "-Xlog:all=warning:stderr")
# For a short job, C1-only JIT: C2 compilations cost more CPU than their faster code saves.
_C1_ONLY = "-XX:TieredStopAtLevel=1"


def java_options(settings: SparkSettings, input_bytes: int | None = None) -> str:
    """The driver JVM's options; `input_bytes` (when known) decides the JIT tiers."""
    options = list(_JAVA_OPTIONS)
    if input_bytes is None or input_bytes < settings.full_jit_from_bytes:
        options.append(_C1_ONLY)
    if settings.archive_classes_at_exit is not None:
        options.append(f"-XX:ArchiveClassesAtExit={settings.archive_classes_at_exit}")
    else:
        archive = usable_archive(settings)
        if archive is not None:
            options.append(f"-XX:SharedArchiveFile={archive}")
    return " ".join(options)


def session_conf(settings: SparkSettings, input_bytes: int | None = None) -> dict[str, str]:
    conf = {
        "spark.driver.memory": settings.driver_memory,
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.default.parallelism": str(settings.shuffle_partitions),
        "spark.sql.files.maxPartitionBytes": str(settings.max_partition_bytes),
        # Adaptive execution re-plans every query at each stage boundary: CPU-seconds of driver
        # planning in a cold JVM, with nothing to adapt in a job of a few fixed-size partitions.
        "spark.sql.adaptive.enabled": "false",
        "spark.driver.extraJavaOptions": java_options(settings, input_bytes),
        # Compressing shuffle files and the in-memory cache costs CPU to save memory and disk
        # this job does not lack.
        "spark.shuffle.compress": "false",
        "spark.shuffle.spill.compress": "false",
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
        "spark.sql.session.timeZone": "UTC",
        # Strict date parsing: an impossible date becomes null (-> BAD_DATE), never an exception.
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Our own _SUCCESS manifest is the completion marker; Hadoop's empty ones would confuse it.
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
        "spark.hadoop.parquet.summary.metadata.level": "NONE",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    conf.update(settings.extra_conf)
    return conf


def build_session(
    settings: SparkSettings, app_name: str = "feature-pipeline", input_bytes: int | None = None
) -> SparkSession:
    builder = SparkSession.builder.master(settings.master).appName(app_name)
    for key, value in session_conf(settings, input_bytes).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
