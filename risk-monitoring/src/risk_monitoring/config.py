"""Thresholds and limits of every check, from the environment (prefix ``MONITOR_``).

Defaults are the documented ones in the README; a deployment overrides them with environment
variables (e.g. ``MONITOR_PSI_ALERT=0.25``) so the Lambda and the CLI share one configuration.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FeatureRule(BaseModel):
    """Invariant of one served feature (from docs/contracts/features.md)."""

    model_config = ConfigDict(extra="forbid")

    integer: bool
    nullable: bool
    minimum: float
    maximum: float


def _default_feature_rules() -> dict[str, FeatureRule]:
    # Ranges are the feature contract's domain, generously bounded: an age of 200 or a negative
    # years_on_the_job (the 365243-day sentinel leaking through) is a bug, not drift.
    return {
        "nb_previous_loans": FeatureRule(integer=True, nullable=False, minimum=0, maximum=10_000),
        "avg_amount_loans_previous": FeatureRule(
            integer=False, nullable=True, minimum=0.0, maximum=1e7
        ),
        "age": FeatureRule(integer=True, nullable=True, minimum=0, maximum=130),
        "years_on_the_job": FeatureRule(integer=True, nullable=True, minimum=0, maximum=100),
        "flag_own_car": FeatureRule(integer=True, nullable=False, minimum=0, maximum=1),
    }


class MonitorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="ignore")

    # --- drift (checks/drift.py)
    # Probability that one run raises a drift alert although nothing drifted (Bonferroni over
    # the features judged); the README records the measured rate.
    drift_alpha: float = Field(default=0.005, gt=0, lt=1)
    # Smallest shift worth an alert: with millions of requests a negligible change is
    # significant too. 0.1 is the usual "moderate shift" line of PSI.
    drift_min_psi: float = 0.1
    # Multinomial draws behind a p-value where a bucket expects fewer than 5 rows.
    drift_simulations: int = Field(default=20_000, ge=1000)
    # Floor for empty buckets so PSI stays finite.
    psi_epsilon: float = 1e-4
    # Fewer served values than this: drift of that feature/window is not judged.
    min_drift_samples: int = 100

    # --- invariants
    feature_rules: dict[str, FeatureRule] = Field(default_factory=_default_feature_rules)
    # Served null share may exceed the reference null share by this much (absolute) before
    # alerting, and only when the excess is significant for the window's size (one-sided
    # binomial test at null_share_alpha per feature): a small window's share is noisy.
    null_share_tolerance: float = 0.05
    null_share_alpha: float = Field(default=0.001, gt=0, lt=1)
    # Share of served rows violating a type/range rule that alerts (0 = any violation alerts).
    invariant_violation_rate_alert: float = 0.0

    # --- skew (checks/skew.py): sampled served rows against the lake's published online rows
    skew_sample_size: int = 1000
    # At most this many store runs (the most served) are read from the lake.
    skew_max_runs: int = 3
    skew_float_rtol: float = 1e-6
    skew_float_atol: float = 1e-6
    skew_mismatch_rate_alert: float = 0.01
    sample_seed: int = 20240601

    # --- staleness
    max_model_age_days: float = 90.0
    max_feature_store_age_days: float = 2.0
    # Served as_of older than the request timestamp by more than this many days (warning only).
    max_served_as_of_lag_days: float = 2.0

    # --- stability
    max_non_finite: int = 0

    # --- latency (per model version)
    max_latency_p50_ms: float = 50.0
    max_latency_p95_ms: float = 150.0
    max_latency_p99_ms: float = 300.0

    # --- delayed-label quality
    min_labelled_per_class: int = 20
    min_roc_auc: float = 0.6
    # Alert when online ROC-AUC is this far below the training metric in metadata.json.
    max_roc_auc_drop: float = 0.1
    max_ece: float = 0.1
    calibration_bins: int = 10

    # --- time windows for "over time" views: "hour" or "day" buckets of the UTC timestamp
    window: str = Field(default="hour", pattern="^(hour|day)$")
    # Safety cap on distinct windows kept in memory (a day of hours = 24, a year of days = 365).
    max_windows: int = 1000

    # --- outcomes (risk-monitor outcomes): a loan is judged by the latest prediction for its
    # customer on or before the application date, at most this many days before it.
    outcome_match_days: int = Field(default=30, ge=0)

    # --- outputs
    metric_namespace: str = "CreditRisk/Monitoring"
