"""Staleness: age of the model (metadata trained_at) and of the online feature store's as_of."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import create_engine, text

from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.logs import LogAggregator
from risk_monitoring.reference import BundleMetadata
from risk_monitoring.results import ALERT, OK, WARN, CheckResult


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def store_latest_as_of(store_url: str) -> date | None:
    """Most recent as_of materialised in ``customer_features`` (None for an empty table)."""
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            value = connection.execute(text("SELECT MAX(as_of) FROM customer_features")).scalar()
    except Exception as error:  # any driver error means the store cannot be judged
        raise InputError(f"cannot read customer_features from the online store: {error}") from error
    finally:
        engine.dispose()
    return None if value is None else _as_date(value)


def check_staleness(
    metadata: BundleMetadata,
    aggregator: LogAggregator,
    settings: MonitorSettings,
    now: datetime,
    store_url: str | None,
) -> CheckResult:
    model_age_days = (now - metadata.trained_at).total_seconds() / 86400
    if store_url:
        latest = store_latest_as_of(store_url)
        source = "online_store"
    else:
        served = [as_of for _, as_of in aggregator.as_of_pairs]
        latest = _as_date(max(served)) if served else None
        source = "latest_served_as_of"
    store_age_days = (now.date() - latest).days if latest else None

    lags = [
        ((_as_date(day) - _as_date(as_of)).days, count)
        for (day, as_of), count in aggregator.as_of_pairs.items()
    ]
    max_lag = max((lag for lag, _ in lags), default=None)
    lagging = sum(count for lag, count in lags if lag > settings.max_served_as_of_lag_days)

    details = {
        "now": now.isoformat(),
        "model_created_at": metadata.created_at.isoformat(),
        "model_trained_at": metadata.trained_at.isoformat(),
        "model_age_days": model_age_days,
        "max_model_age_days": settings.max_model_age_days,
        "feature_store_as_of": latest.isoformat() if latest else None,
        "feature_store_as_of_source": source,
        "feature_store_age_days": store_age_days,
        "max_feature_store_age_days": settings.max_feature_store_age_days,
        "served_as_of_max_lag_days": max_lag,
        "served_rows_lagging": lagging,
    }
    problems = []
    if model_age_days > settings.max_model_age_days:
        problems.append(f"model is {model_age_days:.1f} days old")
    if store_age_days is None and store_url:
        problems.append("the online store holds no customer_features rows")
    elif store_age_days is not None and store_age_days > settings.max_feature_store_age_days:
        problems.append(f"feature store as_of is {store_age_days} days old")
    if problems:
        status = ALERT
    elif lagging:
        status = WARN
        problems.append(f"{lagging} requests served features older than the limit")
    else:
        status = OK
    summary = "; ".join(problems) or (
        f"model {model_age_days:.1f} d, feature store {store_age_days} d old"
    )
    return CheckResult("staleness", status, summary, details)
