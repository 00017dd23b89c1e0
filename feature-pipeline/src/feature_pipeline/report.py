"""The run report, the `_SUCCESS` manifest and the failure report, assembled from stage results."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pyspark

from feature_pipeline import __version__
from feature_pipeline.expectations import StoreShrinkError
from feature_pipeline.lake import (
    ONLINE_PARQUET,
    QUARANTINE,
    RUN_REPORT,
    TRAINING_CSV,
    TRAINING_PARQUET,
    StagedFile,
)
from feature_pipeline.outcomes import Checked, LakeRun, Published, RunContext, StoreStaged
from feature_pipeline.quality import QualityCounts
from feature_pipeline.rules import RULE_DESCRIPTIONS


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _base(context: RunContext, timings: Mapping[str, float]) -> dict[str, Any]:
    window = context.window
    return {
        "pipeline_version": __version__,
        "spark_version": pyspark.__version__,
        "run_id": context.run_id,
        "as_of": context.request.as_of.isoformat(),
        "started_at": context.started_at.isoformat(),
        "input": asdict(context.source),
        "settings": json.loads(context.quality.model_dump_json()),
        "settings_sha256": context.settings_sha256,
        "loan_date_window": {
            "earliest": window.earliest.isoformat(),
            "latest": window.latest.isoformat(),
        },
        "timings_seconds": dict(timings),
    }


def quality_section(counts: QualityCounts) -> dict[str, Any]:
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


def _checks(known: Checked | QualityCounts | None) -> dict[str, Any]:
    if isinstance(known, QualityCounts):
        return {"quality": quality_section(known)}
    if known is None:
        return {}
    return {
        "quality": quality_section(known.counts),
        "expectations": [result.as_dict() for result in known.expectations],
        "customers": asdict(known.customers),
    }


def _store(context: RunContext, staged: StoreStaged | None) -> dict[str, Any]:
    section: dict[str, Any] = {
        "url": context.request.store.redacted_url,
        "auth": context.request.store.auth,
        "allow_shrink": context.request.allow_shrink,
    }
    if staged is not None:
        section |= {
            "staged_rows": staged.rows,
            "live_rows_before": staged.volume.live_rows,
            "live_customers_lost": staged.volume.lost_customers,
            "orphan_tables_dropped": staged.swept,
        }
    return section


def run_report(
    context: RunContext,
    timings: Mapping[str, float],
    checked: Checked,
    staged: StoreStaged,
    run_uri: str,
) -> dict[str, Any]:
    """`run_report.json`: the run as it stands when its folder is committed."""
    return {
        **_base(context, timings),
        "status": "committed",
        "finished_at": _now(),
        **_checks(checked),
        "online_store": _store(context, staged),
        "outputs": {
            "root": context.output_uri,
            "run": run_uri,
            "training_csv": TRAINING_CSV,
            "training_parquet": TRAINING_PARQUET,
            "online_parquet": ONLINE_PARQUET,
            "quarantine": QUARANTINE,
            "run_report": RUN_REPORT,
        },
    }


def manifest(
    context: RunContext, checked: Checked, staged: StoreStaged, files: list[StagedFile]
) -> dict[str, Any]:
    """`_SUCCESS`: what a reader needs to trust and read the run."""
    counts = checked.counts
    return {
        "run_id": context.run_id,
        "as_of": context.request.as_of.isoformat(),
        "input_fingerprint": context.source.fingerprint,
        "settings_sha256": context.settings_sha256,
        "pipeline_version": __version__,
        "row_counts": {
            "rows_in": counts.rows_in,
            "training_rows": counts.rows_accepted,
            "quarantined_rows": counts.rows_quarantined,
            "online_rows": staged.rows,
        },
        "files": [asdict(staged_file) for staged_file in files],
        "created_at": _now(),
    }


def completed(
    context: RunContext,
    timings: Mapping[str, float],
    checked: Checked,
    staged: StoreStaged,
    lake_run: LakeRun,
    published: Published,
) -> dict[str, Any]:
    """What a finished run returns (the CLI prints a summary of it)."""
    result = run_report(context, timings, checked, staged, lake_run.uri)
    result["status"] = "succeeded"
    result["online_store"] |= {
        "rows": staged.rows,
        "swap_attempts": published.swap.attempts,
        "retired_table_left_for_next_sweep": published.swap.retired_table_left,
    }
    result["outputs"] |= {
        "files": [item["path"] for item in lake_run.committed.manifest["files"]],
        "run_folder_reused": lake_run.reused,
        "latest": published.pointer,
        "retired_runs": published.retired_runs,
    }
    return result


def failure(
    context: RunContext,
    timings: Mapping[str, float],
    error: BaseException,
    known: Checked | QualityCounts | None,
    staged: StoreStaged | None,
) -> dict[str, Any]:
    result = {
        **_base(context, timings),
        "status": "failed",
        "error": str(error),
        **_checks(known),
        "online_store": _store(context, staged),
    }
    if isinstance(error, StoreShrinkError):
        result["expectations"] = [
            *result.get("expectations", []),
            *(r.as_dict() for r in error.results),
        ]
    return result
