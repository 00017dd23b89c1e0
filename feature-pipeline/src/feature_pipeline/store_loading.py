"""Moving the online rows from Spark into a staging table without gathering them on the driver.

PostgreSQL: every Spark partition is copied by the task that holds it (`mapInArrow`: Arrow
batches in, `COPY ... FROM STDIN` in CSV out), each task on its own connection and in its own
transaction. A small ledger table records which partitions are in, in the same transaction, so
a retried or speculative task attempt never copies a partition twice.

SQLite (local runs only): one writer at a time, so the partitions come through the driver one
by one (`toLocalIterator`) and are inserted in batches: the driver holds one partition at most.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from functools import partial
from typing import Any

from pyspark.sql import DataFrame

from feature_pipeline.chaos import checkpoint
from feature_pipeline.schema import ONLINE_COLUMNS
from feature_pipeline.store_access import StoreTarget, store_engine

_RESULT_SCHEMA = "part int, rows long, copied boolean"


def _csv(batch: Any) -> io.BytesIO:
    import pyarrow.csv

    buffer = io.BytesIO()
    # Nulls are written as unquoted empty fields, which COPY's csv format reads as NULL; text
    # values are always quoted, so an empty run_id could never turn into a NULL.
    pyarrow.csv.write_csv(batch, buffer, pyarrow.csv.WriteOptions(include_header=False))
    buffer.seek(0)
    return buffer


def _copy_partition(
    target: StoreTarget, staging: str, ledger: str, batches: Iterator[Any]
) -> Iterator[Any]:
    """Runs in a Spark task: copy this partition's rows, once, in one transaction."""
    import pyarrow as pa
    from pyspark import TaskContext

    context = TaskContext.get()
    part = context.partitionId() if context else 0
    copy = f'COPY "{staging}" ({", ".join(ONLINE_COLUMNS)}) FROM STDIN WITH (FORMAT csv)'
    engine = store_engine(target)
    raw = engine.raw_connection()
    rows, copied = 0, False
    try:
        connection: Any = raw.driver_connection
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{ledger}" (part) VALUES (%s) ON CONFLICT DO NOTHING',  # noqa: S608
                (part,),
            )
            copied = cursor.rowcount == 1  # 0: an earlier attempt of this task committed it
            if copied:
                for batch in batches:
                    rows += batch.num_rows
                    cursor.copy_expert(copy, _csv(batch))
        connection.commit()
    finally:
        raw.close()
        engine.dispose()
    checkpoint("store_load")
    yield pa.RecordBatch.from_arrays(
        [pa.array([part], pa.int32()), pa.array([rows], pa.int64()), pa.array([copied])],
        names=["part", "rows", "copied"],
    )


def copy_partitions(
    frame: DataFrame, target: StoreTarget, staging: str, ledger: str, connections: int
) -> None:
    """COPY every partition of `frame` into `staging` from the executors."""
    if frame.rdd.getNumPartitions() > connections:
        frame = frame.coalesce(connections)
    frame.mapInArrow(partial(_copy_partition, target, staging, ledger), _RESULT_SCHEMA).collect()


def _sqlite_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def insert_through_driver(cursor: Any, frame: DataFrame, staging: str, batch_rows: int) -> int:
    """INSERT the rows of `frame` partition by partition; the caller owns the transaction."""
    placeholders = ", ".join("?" for _ in ONLINE_COLUMNS)
    insert = f'INSERT INTO "{staging}" ({", ".join(ONLINE_COLUMNS)}) VALUES ({placeholders})'  # noqa: S608 - names are ours
    total = 0
    batch: list[tuple[Any, ...]] = []
    for row in frame.toLocalIterator():
        batch.append(tuple(_sqlite_value(value) for value in row))
        if len(batch) >= batch_rows:
            cursor.executemany(insert, batch)
            total += len(batch)
            batch.clear()
            checkpoint("store_load")
    cursor.executemany(insert, batch)
    checkpoint("store_load")
    return total + len(batch)
