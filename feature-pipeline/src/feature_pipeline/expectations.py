"""Dataset-level expectations: any failure stops the run before a single output is committed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from feature_pipeline.config import QualitySettings
from feature_pipeline.online_store import VolumeCheck
from feature_pipeline.quality import QualityCounts


@dataclass(frozen=True)
class ExpectationResult:
    name: str
    passed: bool
    observed: float | int | None
    expected: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class DataQualityError(RuntimeError):
    """The input violates a dataset-level expectation; carries the full list for the report."""

    def __init__(self, results: list[ExpectationResult]) -> None:
        self.results = results
        failed = [result for result in results if not result.passed]
        super().__init__(
            "data-quality expectations failed: " + ", ".join(result.name for result in failed)
        )


class StoreShrinkError(DataQualityError):
    """The volume guard refused to publish a store that loses too many live customers."""

    def __init__(self, results: list[ExpectationResult], check: VolumeCheck) -> None:
        super().__init__(results)
        self.check = check
        self.args = (
            f"refused to publish the online store: it would lose {check.lost_customers} of the "
            f"{check.live_rows} live customers ({check.lost_share:.1%}; the new store has "
            f"{check.new_rows} rows); nothing was changed. If the input really is this small, "
            "run again with --allow-shrink (Glue: --allow_shrink true)",
        )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def evaluate(
    counts: QualityCounts, inconsistent_customers: int, settings: QualitySettings
) -> list[ExpectationResult]:
    accepted = counts.rows_accepted
    quarantine_share = _share(counts.rows_quarantined, counts.rows_in)
    positive_rate = _share(counts.accepted_positives, accepted)
    age_null_share = _share(counts.accepted_missing_birthday, accepted)
    years_null_share = _share(
        counts.accepted_missing_job_start + counts.accepted_job_start_after_loan, accepted
    )

    def within(value: float | None, low: float, high: float) -> bool:
        return value is not None and low <= value <= high

    return [
        ExpectationResult(
            "single_header_on_first_line",
            counts.header_lines == 1 and counts.header_is_first_line,
            counts.header_lines,
            "exactly 1 header line, on line 1",
        ),
        ExpectationResult("input_not_empty", counts.rows_in > 0, counts.rows_in, "> 0"),
        ExpectationResult("accepted_not_empty", accepted > 0, accepted, "> 0"),
        ExpectationResult(
            "rows_balance",
            counts.rows_in == counts.rows_accepted + counts.rows_quarantined,
            counts.rows_accepted + counts.rows_quarantined,
            f"== rows_in ({counts.rows_in})",
        ),
        ExpectationResult(
            "quarantine_share",
            within(quarantine_share, 0.0, settings.max_quarantine_share),
            quarantine_share,
            f"<= {settings.max_quarantine_share}",
        ),
        ExpectationResult(
            "positive_rate",
            within(positive_rate, settings.positive_rate_min, settings.positive_rate_max),
            positive_rate,
            f"in [{settings.positive_rate_min}, {settings.positive_rate_max}]",
        ),
        ExpectationResult(
            "null_share_age",
            within(age_null_share, 0.0, settings.max_null_share_age),
            age_null_share,
            f"<= {settings.max_null_share_age}",
        ),
        ExpectationResult(
            "null_share_years_on_the_job",
            within(years_null_share, 0.0, settings.max_null_share_years_on_the_job),
            years_null_share,
            f"<= {settings.max_null_share_years_on_the_job}",
        ),
        ExpectationResult(
            "customer_attributes_constant",
            inconsistent_customers <= settings.max_inconsistent_customers,
            inconsistent_customers,
            f"<= {settings.max_inconsistent_customers} customers with differing birthday, "
            "job_start_date or flag_own_car",
        ),
    ]


def store_volume(
    check: VolumeCheck, settings: QualitySettings, allow_shrink: bool
) -> ExpectationResult:
    """The volume guard as an expectation: live customers the new store would drop."""
    limit = settings.max_store_shrink_share
    live = "no live store" if check.live_rows is None else f"{check.live_rows} live customers"
    return ExpectationResult(
        "store_customers_lost",
        allow_shrink or check.lost_share <= limit,
        check.lost_share,
        f"<= {limit} ({check.lost_customers} of {live} missing from the {check.new_rows} "
        f"new rows{'; --allow-shrink given' if allow_shrink else ''})",
    )


def render(results: list[ExpectationResult]) -> str:
    """A plain-text table a human can read in a terminal or a CloudWatch log."""
    lines = ["Dataset-level expectations:"]
    for result in results:
        observed = (
            f"{result.observed:.6g}" if isinstance(result.observed, float) else str(result.observed)
        )
        status = "ok  " if result.passed else "FAIL"
        lines.append(f"  [{status}] {result.name}: observed {observed}, expected {result.expected}")
    return "\n".join(lines)


def raise_on_failure(results: list[ExpectationResult]) -> None:
    if not all(result.passed for result in results):
        raise DataQualityError(results)
