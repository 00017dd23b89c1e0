"""Builds the local Spark session (Glue brings its own and never calls this).

The driver JVM's options come from the caller: the command line takes them from the local
start-up tooling (feature_pipeline_jvm), which only tunes this machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from pyspark.sql import SparkSession

from feature_pipeline.config import SparkSettings


def session_conf(settings: SparkSettings, java_options: Sequence[str] = ()) -> dict[str, str]:
    conf = {
        "spark.driver.memory": settings.driver_memory,
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.default.parallelism": str(settings.shuffle_partitions),
        "spark.sql.files.maxPartitionBytes": str(settings.max_partition_bytes),
        # Adaptive execution re-plans every query at each stage boundary: CPU-seconds of driver
        # planning in a cold JVM, with nothing to adapt in a job of a few fixed-size partitions.
        "spark.sql.adaptive.enabled": "false",
        "spark.driver.extraJavaOptions": " ".join(java_options),
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
    settings: SparkSettings,
    app_name: str = "feature-pipeline",
    java_options: Sequence[str] = (),
) -> SparkSession:
    # Python workers (the PostgreSQL store load) run the driver's own interpreter and packages,
    # not whatever `python3` is first on PATH (PySpark reads only this variable for it).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(settings.master).appName(app_name)
    for key, value in session_conf(settings, java_options).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
