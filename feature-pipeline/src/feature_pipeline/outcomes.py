"""What the stages of a run return; the run report is assembled from these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyspark.sql import DataFrame

from feature_pipeline.config import DateWindow, QualitySettings
from feature_pipeline.customers import CustomerCounts
from feature_pipeline.expectations import ExpectationResult
from feature_pipeline.inputs import ResolvedInput
from feature_pipeline.lake import CommittedRun
from feature_pipeline.online_store import SwapOutcome, VolumeCheck
from feature_pipeline.quality import QualityCounts
from feature_pipeline.request import RunRequest


@dataclass(frozen=True)
class RunContext:
    """What every stage of one run knows."""

    request: RunRequest
    quality: QualitySettings
    source: ResolvedInput
    output_uri: str  # the output root, as the lake resolves it
    run_id: str
    settings_sha256: str
    started_at: datetime

    @property
    def window(self) -> DateWindow:
        return self.quality.loan_date_window(self.request.as_of)


@dataclass(frozen=True)
class Checked:
    counts: QualityCounts
    customers: CustomerCounts
    expectations: list[ExpectationResult]


@dataclass(frozen=True)
class Frames:
    lines: DataFrame
    validated: DataFrame
    accepted: DataFrame
    online: DataFrame


@dataclass(frozen=True)
class StoreStaged:
    rows: int
    volume: VolumeCheck
    swept: list[str]


@dataclass(frozen=True)
class LakeRun:
    committed: CommittedRun
    uri: str
    reused: bool  # an earlier attempt of this very run had committed it already


@dataclass(frozen=True)
class Published:
    swap: SwapOutcome
    pointer: dict[str, Any]
    retired_runs: list[str]
