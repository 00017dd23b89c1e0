"""The Spark edges of the job: reading raw lines and writing a run's files."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the conventional PySpark alias

from feature_pipeline.lake import ONLINE_PARQUET, QUARANTINE, TRAINING_CSV, TRAINING_PARQUET
from feature_pipeline.quality import LINE_BLOCK, LINE_SEQ, LINE_VALUE


def read_raw_lines(spark: SparkSession, path: str) -> DataFrame:
    """Every physical line of the file as text, with a file-order key.

    Reading text (not CSV) keeps lines with a wrong number of fields instead of padding or
    truncating them, and lets each field be validated rather than silently nulled.
    """
    return spark.read.text(path).select(
        F.input_file_block_start().alias(LINE_BLOCK),
        F.monotonically_increasing_id().alias(LINE_SEQ),
        F.col(LINE_VALUE),
    )


def _join(root: str, relative: str) -> str:
    return f"{root.rstrip('/')}/{relative}"


def write_training_csv(training: DataFrame, root: str) -> None:
    (
        training.write.mode("overwrite")
        .option("header", True)
        .option("dateFormat", "yyyy-MM-dd")
        .csv(_join(root, TRAINING_CSV))
    )


def write_training_parquet(training: DataFrame, root: str) -> None:
    training.write.mode("overwrite").parquet(_join(root, TRAINING_PARQUET))


def write_quarantine(quarantine: DataFrame, root: str) -> None:
    quarantine.write.mode("overwrite").json(_join(root, QUARANTINE))


def write_online_parquet(online: DataFrame, root: str) -> None:
    online.write.mode("overwrite").parquet(_join(root, ONLINE_PARQUET))
