"""Runtime settings. Every field can be set by an environment variable FEATURE_PIPELINE_<NAME>."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_LOAN_AMOUNT = 100.0


class SparkSettings(BaseSettings):
    """How the local Spark session is sized. Ignored on Glue, where the session already exists."""

    model_config = SettingsConfigDict(env_prefix="FEATURE_PIPELINE_SPARK_", frozen=True)

    master: str = "local[2]"
    driver_memory: str = "1g"
    # The full file is ~140 MB: ~9 input splits of 16 MB and 4 shuffle partitions keep both
    # cores busy to the end of each stage without paying per-task overhead for the default 200.
    shuffle_partitions: int = Field(default=4, ge=1)
    max_partition_bytes: int = Field(default=16 * 1024 * 1024, ge=1024 * 1024)
    extra_conf: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class DateWindow:
    """Inclusive range of plausible loan dates."""

    earliest: date
    latest: date


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


class QualitySettings(BaseSettings):
    """Row-level windows and dataset-level expectation thresholds.

    Every field is also a Glue job argument of the same name (glue/job.py), so each market sets
    its own values without code.
    """

    model_config = SettingsConfigDict(env_prefix="FEATURE_PIPELINE_", frozen=True)

    # Plausible loan dates, relative to the run's as_of: from this many calendar years before
    # it up to this many days after it. Anything further out is a typo (a wrong century, a
    # swapped digit). The year after as_of is slack for runs as of a past date on a newer file
    # (backfills, monitoring's skew recompute); a market whose daily extract can never hold
    # a future loan may set it to 1 (a day for time zones ahead of UTC).
    loan_history_years: int = Field(default=3, ge=1, le=100)
    max_days_after_as_of: int = Field(default=366, ge=0)
    # The smallest loan the market grants, in its currency (docs/contracts/raw-loans.md): a
    # zero or token amount is a data error, and it would drag avg_amount_loans_previous down.
    min_loan_amount: float = Field(default=MIN_LOAN_AMOUNT, ge=0)
    max_quarantine_share: float = Field(default=0.05, ge=0.0, le=1.0)
    # Real file: 1.488 % positives. Outside this band the label column is almost certainly broken.
    positive_rate_min: float = Field(default=0.002, ge=0.0, le=1.0)
    positive_rate_max: float = Field(default=0.10, ge=0.0, le=1.0)
    max_null_share_age: float = Field(default=0.05, ge=0.0, le=1.0)
    # Pensioners carry the employment sentinel (null years_on_the_job): ~1 in 6 in the real file.
    max_null_share_years_on_the_job: float = Field(default=0.5, ge=0.0, le=1.0)
    max_inconsistent_customers: int = Field(default=0, ge=0)
    # Volume guard: the largest share of the live store's customers a run may drop (a truncated
    # but well-formed file would otherwise take them offline). --allow-shrink overrides it.
    max_store_shrink_share: float = Field(default=0.05, ge=0.0, le=1.0)

    def loan_date_window(self, as_of: date) -> DateWindow:
        return DateWindow(
            _years_before(as_of, self.loan_history_years),
            as_of + timedelta(days=self.max_days_after_as_of),
        )

    @model_validator(mode="after")
    def _ordered_bounds(self) -> QualitySettings:
        if self.positive_rate_min > self.positive_rate_max:
            raise ValueError("positive_rate_min must not exceed positive_rate_max")
        return self


def quality_setting_names() -> tuple[str, ...]:
    """The settings a caller may override by name (CLI --set, Glue job arguments)."""
    return tuple(QualitySettings.model_fields)
