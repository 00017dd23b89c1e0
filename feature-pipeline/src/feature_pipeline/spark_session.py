"""Builds the local Spark session with the settings the benchmark was tuned with."""

from __future__ import annotations

from pyspark.sql import SparkSession

from feature_pipeline.config import SparkSettings


def session_conf(settings: SparkSettings) -> dict[str, str]:
    conf = {
        "spark.driver.memory": settings.driver_memory,
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.default.parallelism": str(settings.shuffle_partitions),
        "spark.sql.files.maxPartitionBytes": str(settings.max_partition_bytes),
        "spark.sql.adaptive.enabled": "true",
        # A short batch job on 2 cores: C1-only JIT and the parallel collector cut the JVM's own
        # CPU (C2 compilation, G1 bookkeeping) by about a quarter; compressing shuffle files and
        # the in-memory cache costs CPU to save memory and disk this job does not lack.
        "spark.driver.extraJavaOptions": "-XX:+UseParallelGC -XX:TieredStopAtLevel=1",
        "spark.shuffle.compress": "false",
        "spark.shuffle.spill.compress": "false",
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
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


def build_session(settings: SparkSettings, app_name: str = "feature-pipeline") -> SparkSession:
    builder = SparkSession.builder.master(settings.master).appName(app_name)
    for key, value in session_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
