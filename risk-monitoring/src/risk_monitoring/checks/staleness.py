"""Staleness: age of the model (metadata trained_at) and of the online feature store's as_of."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from risk_monitoring.checks.result import ALERT, OK, WARN, CheckResult
from risk_monitoring.config import MonitorSettings
from risk_monitoring.io.metadata import BundleMetadata


def check_staleness(
    metadata: BundleMetadata,
    as_of_pairs: Counter[tuple[str, str]],
    settings: MonitorSettings,
    now: datetime,
    store_as_of: date | None,
    store_read: bool,
) -> CheckResult:
    """``store_as_of``: the store's latest as_of when ``store_read`` (None: an empty store);
    without a store, the latest served as_of stands in for it."""
    model_age_days = (now - metadata.trained_at).total_seconds() / 86400
    latest = store_as_of
    if not store_read:
        served = [as_of for _, as_of in as_of_pairs]
        latest = date.fromisoformat(max(served)) if served else None
    store_age_days = (now.date() - latest).days if latest else None
    lags = [
        ((date.fromisoformat(day) - date.fromisoformat(as_of)).days, count)
        for (day, as_of), count in as_of_pairs.items()
    ]
    lagging = sum(count for lag, count in lags if lag > settings.max_served_as_of_lag_days)
    details = {
        "now": now.isoformat(),
        "model_created_at": metadata.created_at.isoformat(),
        "model_trained_at": metadata.trained_at.isoformat(),
        "model_age_days": model_age_days,
        "max_model_age_days": settings.max_model_age_days,
        "feature_store_as_of": latest.isoformat() if latest else None,
        "feature_store_as_of_source": "online_store" if store_read else "latest_served_as_of",
        "feature_store_age_days": store_age_days,
        "max_feature_store_age_days": settings.max_feature_store_age_days,
        "served_as_of_max_lag_days": max((lag for lag, _ in lags), default=None),
        "served_rows_lagging": lagging,
    }
    problems = []
    if model_age_days > settings.max_model_age_days:
        problems.append(f"model is {model_age_days:.1f} days old")
    if store_age_days is None and store_read:
        problems.append("the online store holds no customer_features rows")
    elif store_age_days is not None and store_age_days > settings.max_feature_store_age_days:
        problems.append(f"feature store as_of is {store_age_days} days old")
    if problems:
        return CheckResult("staleness", ALERT, "; ".join(problems), details)
    if lagging:
        summary = f"{lagging} requests served features older than the limit"
        return CheckResult("staleness", WARN, summary, details)
    summary = f"model {model_age_days:.1f} d, feature store {store_age_days} d old"
    return CheckResult("staleness", OK, summary, details)
