"""What the app needs at run time, built once per process (lifespan or Lambda INIT phase)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from inference_service.config import Settings
from inference_service.model import ModelBundle
from inference_service.observability import MetricsRecorder, configure_logging
from inference_service.predictor import Predictor
from inference_service.store import (
    FeatureStore,
    StoreUnavailableError,
    build_engine,
    resolve_store_url,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    bundle: ModelBundle
    store: FeatureStore
    metrics: MetricsRecorder
    predictor: Predictor

    def close(self) -> None:
        self.metrics.flush()
        self.store.close()


def build_resources(settings: Settings) -> Resources:
    """Load the bundle and connect the store; raise with a clear message on a bad deployment.

    A missing/invalid bundle (BundleError) or a store whose columns do not match the model
    (StoreSchemaError) stops start-up. An unreachable store does not: the service starts,
    answers 503 and /ready reports not ready until the store is back, and the schema check runs
    on the first successful connection.
    """
    configure_logging(settings.log_level)
    bundle = ModelBundle.load(settings.model_bundle_dir)
    url = resolve_store_url(settings.feature_store_url, settings.feature_store_secret_arn)
    engine = build_engine(
        url,
        pool_size=settings.store_pool_size,
        connect_timeout=settings.store_connect_timeout_seconds,
        statement_timeout_ms=settings.store_statement_timeout_ms,
    )
    store = FeatureStore(engine, {f.name: f.dtype for f in bundle.features})
    try:
        store.verify_schema()
    except StoreUnavailableError as err:
        log.warning("feature store unreachable at start-up (%s); will retry per request", err)
    metrics = MetricsRecorder(
        namespace=settings.metrics_namespace,
        service=settings.metrics_service,
        model_version=bundle.model_version,
        flush_interval_seconds=settings.metrics_flush_interval_seconds,
    )
    log.info(
        "loaded model %s version %s (%d features) from %s; store %s",
        bundle.model_name,
        bundle.model_version,
        len(bundle.features),
        settings.model_bundle_dir,
        url.render_as_string(hide_password=True),
    )
    return Resources(settings, bundle, store, metrics, Predictor(bundle, store, metrics))
