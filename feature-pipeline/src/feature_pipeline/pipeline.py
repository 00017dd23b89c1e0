"""Orchestration: read -> validate -> expectations -> features -> staged outputs -> commit.

All Spark actions of a run happen here, in this order:
  1. one aggregation over the validated lines (materialises the cached frame; all counts),
  2. the per-customer snapshot collected to the driver (online rows + consistency check),
  3. training CSV write (materialises the cached training frame), 4. training Parquet write,
  5. quarantine write.
"""

from __future__ import annotations

import importlib
import json
import re
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyspark
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the conventional PySpark alias

from feature_pipeline import __version__
from feature_pipeline.config import QualitySettings, SparkSettings
from feature_pipeline.expectations import (
    DataQualityError,
    evaluate,
    raise_on_failure,
)
from feature_pipeline.features import customer_snapshot, training_features
from feature_pipeline.quality import (
    LINE_BLOCK,
    LINE_SEQ,
    LINE_VALUE,
    QualityCounts,
    accepted_loans,
    quality_stats_by_block,
    quarantine_rows,
    summarise,
    validate,
)
from feature_pipeline.rules import RULE_DESCRIPTIONS, Rule
from feature_pipeline.schema import ONLINE_COLUMNS
from feature_pipeline.spark_io import (
    QUARANTINE,
    TRAINING_CSV,
    TRAINING_PARQUET,
    read_raw_lines,
    write_quarantine,
    write_training_csv,
    write_training_parquet,
)
from feature_pipeline.spark_session import build_session
from feature_pipeline.storage import (
    InputError,
    ResolvedInput,
    local_input_size,
    make_committer,
    parse_s3,
    resolve_input,
)

RUN_REPORT = "run_report.json"
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class RunRequest:
    input_uri: str
    output_uri: str
    online_store_url: str
    as_of: date
    run_id: str | None = None
    native_s3: bool = False  # Glue: Spark reads/writes s3:// itself


@dataclass
class StageTimer:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)


class PipelineRunError(RuntimeError):
    """A run stopped before committing; `report` says how far it got and why."""

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report


def _check_request(request: RunRequest) -> None:
    if request.run_id is not None and not _RUN_ID.match(request.run_id):
        raise InputError("run id must be 1-64 characters of letters, digits, '.', '_' or '-'")
    if not request.online_store_url.strip():
        raise InputError("online store URL must not be empty")
    input_s3, output_s3 = parse_s3(request.input_uri), parse_s3(request.output_uri)
    if input_s3 and output_s3:
        same_place = input_s3.bucket == output_s3.bucket and input_s3.key.startswith(
            output_s3.key.rstrip("/") + "/"
        )
    elif not input_s3 and not output_s3:
        same_place = Path(request.output_uri).resolve() in Path(request.input_uri).resolve().parents
    else:
        same_place = False
    if same_place:
        # The commit replaces the whole output location; it must never contain the input.
        raise InputError("the input must not live inside the output location")


def _quality_section(counts: QualityCounts) -> dict[str, Any]:
    return {
        "rows_in": counts.rows_in,
        "rows_accepted": counts.rows_accepted,
        "rows_quarantined": counts.rows_quarantined,
        "balanced": counts.rows_in == counts.rows_accepted + counts.rows_quarantined,
        "violations_by_rule": counts.by_rule,
        "rule_descriptions": {rule.value: text for rule, text in RULE_DESCRIPTIONS.items()},
        "accepted_positives": counts.accepted_positives,
        "training_rows_age_null_missing_birthday": counts.accepted_missing_birthday,
        "training_rows_years_on_the_job_null_missing_job_start": (
            counts.accepted_missing_job_start
        ),
        "training_rows_years_on_the_job_null_job_start_after_as_of": (
            counts.accepted_job_start_after_loan
        ),
    }


def run(
    request: RunRequest,
    quality_settings: QualitySettings | None = None,
    spark_settings: SparkSettings | None = None,
    spark: SparkSession | None = None,
) -> dict[str, Any]:
    """Run the whole job and return the run report; raises PipelineRunError or InputError."""
    _check_request(request)
    quality_settings = quality_settings or QualitySettings()
    timer = StageTimer()
    started_at = datetime.now(UTC)
    report: dict[str, Any] = {
        "pipeline_version": __version__,
        "spark_version": pyspark.__version__,
        "as_of": request.as_of.isoformat(),
        "started_at": started_at.isoformat(),
        "input": {"uri": request.input_uri},
        "settings": json.loads(quality_settings.model_dump_json()),
        "timings_seconds": timer.seconds,
    }
    with tempfile.TemporaryDirectory(prefix="feature-pipeline-") as scratch:
        workdir = Path(scratch)
        # Hash the input while the JVM starts: both take seconds, and they overlap fully.
        with ThreadPoolExecutor(max_workers=2) as pool:
            preload = pool.submit(_preload, _LATE_MODULES)
            input_future = pool.submit(
                _timed,
                timer,
                "input_fingerprint",
                resolve_input,
                request.input_uri,
                workdir,
                request.native_s3,
            )
            with timer.stage("spark_session"):
                spark = spark or build_session(
                    spark_settings or SparkSettings(),
                    input_bytes=local_input_size(request.input_uri),
                )
            resolved: ResolvedInput = input_future.result()
            preload.result()
        report["input"] = asdict(resolved)
        run_id = request.run_id or _default_run_id(request.as_of, resolved)
        report["run_id"] = run_id
        committer = make_committer(request.output_uri, run_id, workdir, request.native_s3)
        try:
            _run_stages(
                spark, request, run_id, resolved, quality_settings, committer, timer, report
            )
        except BaseException as error:
            committer.abort()
            report["status"] = "failed"
            report["error"] = str(error)
            if isinstance(error, (DataQualityError, InputError)):
                raise PipelineRunError(str(error), report) from error
            raise
    return report


# Imported while the JVM starts rather than before it (together ~2 s of the CLI's start-up).
_LATE_MODULES = ("pandas", "pyarrow", "sqlalchemy", "feature_pipeline.online_store")


def _preload(modules: tuple[str, ...]) -> None:
    for module in modules:
        importlib.import_module(module)


def _timed(timer: StageTimer, name: str, function: Any, *args: Any) -> Any:
    with timer.stage(name):
        return function(*args)


def _default_run_id(as_of: date, resolved: ResolvedInput) -> str:
    # Same input + same as_of -> same run id, so a re-run reproduces the online table exactly.
    digest = resolved.fingerprint.split(":", 1)[-1]
    return f"{as_of:%Y%m%d}-{digest[:12]}"


@contextmanager
def computed_once(frame: DataFrame) -> Iterator[DataFrame]:
    """`frame` computed by the first action on it and kept for every later one.

    In local mode a local checkpoint keeps the rows themselves in Spark's block manager
    (spilling to disk under memory pressure): the columnar cache behind DataFrame.persist()
    spent ~15 % of the job's CPU encoding and decoding column batches, and dropping it cut a
    full run by 3-4 CPU-seconds. On a cluster (Glue) a lost executor would take checkpointed
    blocks with it and fail the job, so there the recomputable cache is kept. Either way the
    blocks are released on exit, which matters in long-lived sessions (the test suite).
    """
    if not (frame.sparkSession.sparkContext.master or "").startswith("local"):
        cached = frame.persist(StorageLevel.MEMORY_AND_DISK_DESER)
        try:
            yield cached
        finally:
            cached.unpersist()
        return
    kept = frame.localCheckpoint(eager=False)
    try:
        yield kept
    finally:
        # PySpark has no unpersist for a checkpointed frame: its plan is a LogicalRDD over the
        # checkpointed RDD, which holds the blocks.
        kept._jdf.logicalPlan().rdd().unpersist(False)


def _run_stages(
    spark: SparkSession,
    request: RunRequest,
    run_id: str,
    resolved: ResolvedInput,
    settings: QualitySettings,
    committer: Any,
    timer: StageTimer,
    report: dict[str, Any],
) -> None:
    lines = read_raw_lines(spark, resolved.spark_path)
    with computed_once(
        validate(lines, settings.loan_date_min, settings.loan_date_max)
    ) as validated:
        with timer.stage("read_and_validate"):
            counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
        report["quality"] = _quality_section(counts)
        if not counts.header_is_first_line:
            first = (
                lines.filter(F.col(LINE_BLOCK) == min(counts.block_offsets, default=0))
                .orderBy(LINE_SEQ)
                .select(LINE_VALUE)
                .first()
            )
            raise InputError(
                "input does not start with the expected 24-column header; first line is "
                f"{(first[0] if first else '<empty file>')[:200]!r}"
            )

        accepted = accepted_loans(validated)
        with timer.stage("online_features"):
            snapshot = customer_snapshot(accepted, request.as_of, run_id).toPandas()
        inconsistent = int(snapshot["attributes_conflict"].sum())
        # Customers whose loans all postdate as_of have nothing to serve yet.
        online = snapshot.loc[snapshot["nb_previous_loans"] > 0, list(ONLINE_COLUMNS)]

        results = evaluate(counts, inconsistent, settings)
        report["expectations"] = [result.as_dict() for result in results]
        report["customers"] = {
            "total": len(snapshot),
            "inconsistent_attributes": inconsistent,
            "online_rows": len(online),
            "online_years_on_the_job_null": int(online["years_on_the_job"].isna().sum()),
            "online_age_null": int(online["age"].isna().sum()),
        }
        raise_on_failure(results)

        with computed_once(training_features(accepted)) as training:
            with timer.stage("training_csv"):
                write_training_csv(training, committer.spark_root)
            with timer.stage("training_parquet"):
                write_training_parquet(training, committer.spark_root)
        with timer.stage("quarantine"):
            duplicates_only_lack_text = counts.by_rule[Rule.DUPLICATE_LOAN_ID.value] > 0
            quarantine = quarantine_rows(
                validated, counts.block_offsets, lines if duplicates_only_lack_text else None
            )
            write_quarantine(quarantine, committer.spark_root)

    with timer.stage("online_store"):
        from feature_pipeline.online_store import publish

        online_rows = publish(online, request.online_store_url)
    report["online_store"] = {"url": _redact(request.online_store_url), "rows": online_rows}
    _commit(committer, request, run_id, resolved, counts, online_rows, timer, report)


def _commit(
    committer: Any,
    request: RunRequest,
    run_id: str,
    resolved: ResolvedInput,
    counts: QualityCounts,
    online_rows: int,
    timer: StageTimer,
    report: dict[str, Any],
) -> None:
    with timer.stage("commit"):
        report["status"] = "succeeded"
        report["finished_at"] = datetime.now(UTC).isoformat()
        report["outputs"] = {
            "root": committer.final_uri,
            "training_csv": TRAINING_CSV,
            "training_parquet": TRAINING_PARQUET,
            "quarantine": QUARANTINE,
            "run_report": RUN_REPORT,
        }
        committer.write_text(RUN_REPORT, json.dumps(report, indent=2, sort_keys=True, default=str))
        files = committer.staged_files()
        manifest = {
            "run_id": run_id,
            "as_of": request.as_of.isoformat(),
            "input_fingerprint": resolved.fingerprint,
            "row_counts": {
                "rows_in": counts.rows_in,
                "training_rows": counts.rows_accepted,
                "quarantined_rows": counts.rows_quarantined,
                "online_rows": online_rows,
            },
            "files": [asdict(staged) for staged in files],
            "created_at": datetime.now(UTC).isoformat(),
        }
        committer.commit(manifest)
    report["outputs"]["files"] = [staged.path for staged in files]


def _redact(url: str) -> str:
    # Never write a database password into a report.
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
