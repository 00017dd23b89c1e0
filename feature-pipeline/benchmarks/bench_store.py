"""Publishing the online store at market scale: N synthetic customers into a local PostgreSQL.

For each size (default 1 M and 10 M customers) a fresh process builds the online rows in Spark
(`spark.range`, the contract's columns and types), then publishes them exactly as a run does:
sweep, staging table loaded by one COPY per Spark partition from the executors, primary key,
ANALYZE, volume check against the live table, lock-bounded swap. The parent samples the memory
of the process tree every 50 ms: the Python driver (where a collect() would land), the JVM, and
Spark's Python workers, each on its own. Driver memory must stay flat in the number of
customers.

A throwaway PostgreSQL 15 is started from the local binaries (as an unprivileged user when run
as root) with the test kit's helper; the pipeline connects as the role `feature_pipeline`
that owns the table, as in AWS.

    python feature-pipeline/benchmarks/bench_store.py [--customers 1000000 10000000]
        [--partitions 8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import psutil

AS_OF = date(2021, 9, 17)
SAMPLE_SECONDS = 0.05


def _child(customers: int, url: str, partitions: int) -> None:
    """Runs in a fresh process: build the rows, publish them, print timings as JSON."""
    from pyspark.sql import functions as F  # noqa: N812 - the conventional PySpark alias

    from feature_pipeline.cli import local_session
    from feature_pipeline.online_store import staged_publication
    from feature_pipeline.store_access import StoreTarget

    spark = local_session(None)
    identity = F.col("id")
    frame = spark.range(0, customers, numPartitions=partitions).select(
        (identity + 5_000_000).alias("id"),
        (identity % 40 + 1).cast("int").alias("nb_previous_loans"),
        F.when(identity % 20 != 0, 100 + (identity % 997) / 7).alias("avg_amount_loans_previous"),
        F.when(identity % 50 != 0, (identity % 50 + 20)).cast("int").alias("age"),
        F.when(identity % 6 != 0, identity % 30).cast("int").alias("years_on_the_job"),
        (identity % 2).cast("int").alias("flag_own_car"),
        F.lit(AS_OF).alias("as_of"),
        F.date_sub(F.lit(AS_OF), (identity % 600).cast("int")).alias("last_loan_date"),
        F.lit(f"bench-{customers}").alias("run_id"),
    )
    started = time.perf_counter()
    with staged_publication(frame, StoreTarget(url)) as staged:
        loaded = time.perf_counter()
        volume = staged.volume()
        checked = time.perf_counter()
        staged.publish()
    finished = time.perf_counter()
    print(
        json.dumps(
            {
                "rows": staged.rows,
                "live_rows_before": volume.live_rows,
                "load_seconds": round(loaded - started, 1),
                "volume_check_seconds": round(checked - loaded, 1),
                "swap_seconds": round(finished - checked, 2),
                "publish_seconds": round(finished - started, 1),
            }
        )
    )
    spark.stop()


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except psutil.Error:
        return 0


def _role(process: psutil.Process) -> str:
    """What a descendant of the driver is: its JVM, or one of Spark's Python workers."""
    try:
        name = process.name()
    except psutil.Error:
        return "other"
    if name == "java":
        return "jvm"
    return "python_workers" if name.startswith("python") else "other"


def measure(customers: int, url: str, partitions: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(customers), "--url", url,
               "--partitions", str(partitions)]  # fmt: skip
    load = psutil.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    driver = psutil.Process(child.pid)
    peaks = {"driver_python": 0, "jvm": 0, "python_workers": 0}
    while child.poll() is None:
        peaks["driver_python"] = max(peaks["driver_python"], _rss(driver))
        workers = jvm = 0
        try:
            members = driver.children(recursive=True)
        except psutil.Error:
            members = []
        for member in members:
            role = _role(member)
            if role == "jvm":
                jvm += _rss(member)
            elif role == "python_workers":
                workers += _rss(member)
        peaks["jvm"] = max(peaks["jvm"], jvm)
        peaks["python_workers"] = max(peaks["python_workers"], workers)
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - started
    output = child.stdout.read() if child.stdout else b""
    if child.returncode != 0:
        raise RuntimeError(f"publishing {customers} customers failed (exit {child.returncode})")
    return {
        "customers": customers,
        "load_average_1m_before": round(load, 2),
        "process_wall_seconds": round(wall, 1),
        **json.loads(output.decode().strip().splitlines()[-1]),
        "peak_rss_mb": {name: round(value / 2**20) for name, value in peaks.items()},
    }


def _prepare_database(admin_url: str) -> str:
    """A `features` database set up as the bootstrap does; returns the pipeline's URL."""
    from platform_testkit import postgres

    postgres.create_database(admin_url, "features")
    statements = [
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'feature_pipeline') "
        "THEN CREATE ROLE feature_pipeline LOGIN; END IF; END $$",
        "GRANT USAGE, CREATE ON SCHEMA public TO feature_pipeline",
    ]
    import psycopg2

    url = postgres.with_database(admin_url, "features")
    connection = psycopg2.connect(postgres.to_libpq_url(url))
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()
    return url.replace("://postgres@", "://feature_pipeline@", 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child, args.url, args.partitions)
        return 0

    from platform_testkit import postgres

    with postgres.running_postgres_server() as server:
        url = _prepare_database(server.url)
        results = []
        for customers in args.customers:
            result = measure(customers, url, args.partitions)
            print(json.dumps(result), file=sys.stderr)
            results.append(result)
    summary = {
        "machine": {
            "cpus": psutil.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30),
        },
        "partitions": args.partitions,
        "results": results,
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
