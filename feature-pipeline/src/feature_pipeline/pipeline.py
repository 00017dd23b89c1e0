"""Orchestration: checks -> staged store -> run folder + _SUCCESS -> store swap -> _LATEST.

A run, in order (docs/contracts/training-set.md and online-store.md):

1. read and validate the raw lines; dataset-level expectations (nothing written yet);
2. load the online rows into a staging table and apply the volume guard (nothing visible);
3. write the run folder `run=<run_id>/`, then its `_SUCCESS` manifest;
4. swap the staging table in (the rows carry the run id);
5. move `_LATEST` to the run; delete runs beyond the newest `retain_runs`.

A failure or refusal before 4 leaves the live store, `_LATEST` and every earlier run as they
were. A kill anywhere leaves a state a rerun completes (tests/test_chaos.py).

Spark actions of a run: an aggregation over the validated lines (all counts), one over the
per-customer snapshot, the staging-table load, training CSV, training Parquet, online Parquet,
quarantine. The validated lines, the snapshot and the training rows are each computed once.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the conventional PySpark alias

from feature_pipeline import __version__, chaos, report
from feature_pipeline.chaos import checkpoint
from feature_pipeline.config import QualitySettings
from feature_pipeline.customers import CustomerCounts, customer_summary, online_rows
from feature_pipeline.errors import InputError
from feature_pipeline.expectations import DataQualityError, StoreShrinkError, evaluate, store_volume
from feature_pipeline.features import customer_snapshot, training_features
from feature_pipeline.inputs import ResolvedInput, resolve_input
from feature_pipeline.lake import RUN_REPORT, Lake, latest_pointer, open_lake, retire_runs
from feature_pipeline.online_store import (
    StagedPublication,
    StoreSettings,
    SwapOutcome,
    staged_publication,
)
from feature_pipeline.outcomes import Checked, Frames, LakeRun, Published, RunContext, StoreStaged
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
from feature_pipeline.request import RunRequest, check_request
from feature_pipeline.rules import Rule
from feature_pipeline.spark_io import (
    read_raw_lines,
    write_online_parquet,
    write_quarantine,
    write_training_csv,
    write_training_parquet,
)

# Builds the local session once the input's size is known (it picks the JIT tiers).
SessionFactory = Callable[[int | None], SparkSession]


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


class ChecksFailedError(DataQualityError):
    def __init__(self, checked: Checked) -> None:
        super().__init__(checked.expectations)
        self.checked = checked


class HeaderError(InputError):
    def __init__(self, message: str, counts: QualityCounts) -> None:
        super().__init__(message)
        self.counts = counts


def settings_digest(quality: QualitySettings) -> str:
    canonical = json.dumps(
        {"pipeline_version": __version__, **json.loads(quality.model_dump_json())}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def default_run_id(as_of: date, fingerprint: str, settings_sha256: str) -> str:
    # Same input, as_of and settings -> same run id: a rerun completes or reproduces that run.
    digest = hashlib.sha256(f"{fingerprint}\n{settings_sha256}".encode()).hexdigest()
    return f"{as_of:%Y%m%d}-{digest[:12]}"


def run(
    request: RunRequest,
    quality_settings: QualitySettings | None = None,
    spark: SparkSession | SessionFactory | None = None,
    store_settings: StoreSettings | None = None,
) -> dict[str, Any]:
    """Run the whole job and return its report; raises PipelineRunError, InputError or
    OnlineStoreError. Without `spark`, a default local session is built."""
    check_request(request)
    chaos.arm()
    quality = quality_settings or QualitySettings()
    timer = StageTimer()
    started_at = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="feature-pipeline-") as scratch:
        workdir = Path(scratch)
        source, session = _open_input_and_session(request, spark, workdir, timer)
        digest = settings_digest(quality)
        lake = open_lake(request.output, workdir, request.native_s3)
        context = RunContext(
            request,
            quality,
            source,
            lake.uri,
            request.run_id or default_run_id(request.as_of, source.fingerprint, digest),
            digest,
            started_at,
        )
        return _run_stages(session, lake, context, timer, store_settings or StoreSettings())


# Imported while the JVM starts rather than before it (seconds of the CLI's start-up).
_LATE_MODULES = ("sqlalchemy", "feature_pipeline.online_store")


def _preload(modules: tuple[str, ...]) -> None:
    for module in modules:
        importlib.import_module(module)


def _open_input_and_session(
    request: RunRequest,
    spark: SparkSession | SessionFactory | None,
    workdir: Path,
    timer: StageTimer,
) -> tuple[ResolvedInput, SparkSession]:
    """Hash the input while the JVM starts: both take seconds, and they overlap fully."""

    def fingerprint() -> ResolvedInput:
        with timer.stage("input_fingerprint"):
            return resolve_input(request.input, workdir, request.native_s3)

    with ThreadPoolExecutor(max_workers=2) as pool:
        preload = pool.submit(_preload, _LATE_MODULES)
        resolved = pool.submit(fingerprint)
        with timer.stage("spark_session"):
            if isinstance(spark, SparkSession):
                session = spark
            else:
                factory = spark or _default_session
                session = factory(request.input.size_bytes())
        preload.result()
        return resolved.result(), session


def _default_session(input_bytes: int | None) -> SparkSession:
    from feature_pipeline.config import SparkSettings
    from feature_pipeline.spark_session import build_session

    return build_session(SparkSettings())


@contextmanager
def computed_once(frame: DataFrame) -> Iterator[DataFrame]:
    """`frame` computed by the first action on it and kept for every later one.

    In local mode a local checkpoint keeps the rows themselves in Spark's block manager
    (spilling to disk under memory pressure): the columnar cache behind DataFrame.persist()
    spends CPU encoding and decoding column batches. On a cluster (Glue) a lost executor
    would take checkpointed blocks with it and fail the job, so there the recomputable cache
    is kept. Either way the blocks are released on exit, which matters in long-lived sessions
    (the test suite).
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
    lake: Lake,
    context: RunContext,
    timer: StageTimer,
    store_settings: StoreSettings,
) -> dict[str, Any]:
    previous = _committed_attempt(lake, context)
    checked: Checked | None = None
    staged: StoreStaged | None = None
    try:
        with ExitStack() as stack:
            frames, checked = stack.enter_context(_checked_frames(spark, context, timer))
            with timer.stage("store_staging"):
                publication = stack.enter_context(
                    staged_publication(frames.online, context.request.store, store_settings)
                )
            staged = _guard_volume(publication, context)
            checkpoint("store_staged")
            lake_run = previous or _write_run(lake, context, frames, checked, staged, timer)
            checkpoint("run_committed")
            with timer.stage("store_swap"):
                swap = publication.publish()
    except (DataQualityError, InputError) as error:
        failure = report.failure(context, timer.seconds, error, checked or _known(error), staged)
        raise PipelineRunError(str(error), failure) from error
    checkpoint("store_published")
    published = _point_and_retire(lake, lake_run, swap, context, timer)
    return report.completed(context, timer.seconds, checked, staged, lake_run, published)


def _known(error: Exception) -> Checked | QualityCounts | None:
    if isinstance(error, ChecksFailedError):
        return error.checked
    if isinstance(error, HeaderError):
        return error.counts
    return None


def _committed_attempt(lake: Lake, context: RunContext) -> LakeRun | None:
    """This run's folder if an earlier attempt committed it (a rerun after a late failure)."""
    committed = lake.committed_run(context.run_id)
    if committed is None:
        return None
    manifest = committed.manifest
    identity = (manifest.get("input_fingerprint"), manifest.get("as_of"))
    if identity != (context.source.fingerprint, context.request.as_of.isoformat()) or (
        manifest.get("settings_sha256") != context.settings_sha256
    ):
        raise InputError(
            f"run={context.run_id} is already committed under {lake.uri} from another input, "
            "as_of or settings; a committed run is never overwritten: pass another run id"
        )
    return LakeRun(committed, f"{lake.uri.rstrip('/')}/run={context.run_id}/", reused=True)


@contextmanager
def _checked_frames(
    spark: SparkSession, context: RunContext, timer: StageTimer
) -> Iterator[tuple[Frames, Checked]]:
    """Validate, count and check; yields the kept frames once every expectation passed."""
    lines = read_raw_lines(spark, context.source.spark_path)
    with computed_once(
        validate(lines, context.window, context.quality.min_loan_amount)
    ) as validated:
        with timer.stage("read_and_validate"):
            counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
        _require_header(counts, lines)
        accepted = accepted_loans(validated)
        snapshot_frame = customer_snapshot(accepted, context.request.as_of, context.run_id)
        with computed_once(snapshot_frame) as snapshot:
            with timer.stage("online_features"):
                customers = CustomerCounts(**customer_summary(snapshot).collect()[0].asDict())
            results = evaluate(counts, customers.inconsistent_attributes, context.quality)
            checked = Checked(counts, customers, results)
            if not all(result.passed for result in results):
                raise ChecksFailedError(checked)
            checkpoint("checked")
            yield Frames(lines, validated, accepted, online_rows(snapshot)), checked


def _require_header(counts: QualityCounts, lines: DataFrame) -> None:
    if counts.header_is_first_line:
        return
    first = (
        lines.filter(F.col(LINE_BLOCK) == min(counts.block_offsets, default=0))
        .orderBy(LINE_SEQ)
        .select(LINE_VALUE)
        .first()
    )
    raise HeaderError(
        "input does not start with the expected 24-column header; first line is "
        f"{(first[0] if first else '<empty file>')[:200]!r}",
        counts,
    )


def _guard_volume(publication: StagedPublication, context: RunContext) -> StoreStaged:
    check = publication.volume()
    staged = StoreStaged(publication.rows, check, publication.swept)
    result = store_volume(check, context.quality, context.request.allow_shrink)
    if not result.passed:
        raise StoreShrinkError([result], check)
    return staged


def _write_run(
    lake: Lake,
    context: RunContext,
    frames: Frames,
    checked: Checked,
    staged: StoreStaged,
    timer: StageTimer,
) -> LakeRun:
    writer = lake.open_run(context.run_id)
    try:
        root = writer.spark_root
        with computed_once(training_features(frames.accepted)) as training:
            with timer.stage("training_csv"):
                write_training_csv(training, root)
            with timer.stage("training_parquet"):
                write_training_parquet(training, root)
        with timer.stage("online_parquet"):
            write_online_parquet(frames.online, root)
        with timer.stage("quarantine"):
            only_duplicates_lack_text = checked.counts.by_rule[Rule.DUPLICATE_LOAN_ID.value] > 0
            rescan = frames.lines if only_duplicates_lack_text else None
            write_quarantine(
                quarantine_rows(frames.validated, checked.counts.block_offsets, rescan), root
            )
        checkpoint("run_written")
        with timer.stage("commit"):
            run_report = report.run_report(context, timer.seconds, checked, staged, writer.uri)
            writer.write_text(RUN_REPORT, json.dumps(run_report, indent=2, sort_keys=True))
            files = writer.staged_files()
            committed = writer.commit(report.manifest(context, checked, staged, files))
    except BaseException:
        writer.abort()
        raise
    return LakeRun(committed, writer.uri, reused=False)


def _point_and_retire(
    lake: Lake, lake_run: LakeRun, swap: SwapOutcome, context: RunContext, timer: StageTimer
) -> Published:
    with timer.stage("latest_pointer"):
        pointer = latest_pointer(lake_run.committed)
        lake.move_latest(pointer)
    checkpoint("latest_moved")
    with timer.stage("retention"):
        retired = retire_runs(lake, context.request.retain_runs, {context.run_id})
    return Published(swap, pointer, retired)
