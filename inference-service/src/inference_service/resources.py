"""What the app needs at run time, built once per process (lifespan or Lambda INIT phase)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from inference_service.config import Settings
from inference_service.customer_ref import CustomerRefs, key_reader
from inference_service.database import build_async_engine, build_engine
from inference_service.model import ModelBundle
from inference_service.observability import ServiceMetrics, build_metrics, configure_logging
from inference_service.predictor import Predictor
from inference_service.store import FeatureStore, StoreUnavailableError

log = logging.getLogger(__name__)

# PostgreSQL connections of a concurrent server: lookups in flight at once. Enough to keep one
# event loop busy while lookups wait for their round trips, few enough for the proxy's limits.
SERVER_POOL_SIZE = 8


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    bundle: ModelBundle
    store: FeatureStore
    metrics: ServiceMetrics
    predictor: Predictor

    async def aclose(self) -> None:
        self.metrics.flush()
        await self.store.aclose()


def build_resources(settings: Settings, *, concurrent: bool = False) -> Resources:
    """Load the bundle, the pseudonym key and the store; raise with a clear message if the
    deployment is broken.

    A missing/invalid bundle (BundleError), a missing key (CustomerRefKeyError), a store URL
    that cannot work (StoreConfigError) or a store whose columns do not match the model
    (StoreSchemaError) stops start-up. An unreachable store does not: the service starts,
    answers 503 and /ready reports not ready until the store is back, and the schema check runs
    on the first successful connection.

    `concurrent`: the process answers many requests at once (a uvicorn server), so PostgreSQL
    lookups run on asyncio connections, a pool of `store_pool_size` (default
    ``SERVER_POOL_SIZE``). Otherwise (Lambda: one request per instance) they run inline on
    one psycopg2 connection, which is the cheapest way to answer one request at a time.
    """
    configure_logging(settings.powertools_service_name, settings.log_level)
    bundle = ModelBundle.load(settings.model_bundle_dir)
    customer_key = settings.customer_ref_key
    customer_refs = CustomerRefs(
        key_reader(
            settings.customer_ref_key_secret_arn,
            customer_key.get_secret_value() if customer_key is not None else None,
        )
    )
    engine = build_engine(
        settings.feature_store_url,
        auth=settings.feature_store_auth,
        pool_size=1 if concurrent else settings.store_pool_size or 1,
        connect_timeout=settings.store_connect_timeout_seconds,
    )
    async_engine = None
    if concurrent and engine.dialect.name == "postgresql":
        async_engine = build_async_engine(
            settings.feature_store_url,
            auth=settings.feature_store_auth,
            pool_size=settings.store_pool_size or SERVER_POOL_SIZE,
            connect_timeout=settings.store_connect_timeout_seconds,
        )
    store = FeatureStore(engine, {f.name: f.dtype for f in bundle.features}, async_engine)
    try:
        store.verify_schema()
    except StoreUnavailableError as err:
        log.warning("feature store unreachable at start-up (%s); will retry per request", err)
    metrics = ServiceMetrics(
        build_metrics(
            settings.powertools_metrics_namespace,
            settings.powertools_service_name,
            settings.aws_lambda_function_version,
        ),
        bundle.model_version,
    )
    log.info(
        "loaded model %s version %s (%d features, sha256 %s) from %s; store %s (auth %s)",
        bundle.model_name,
        bundle.model_version,
        len(bundle.features),
        bundle.model_sha256,
        settings.model_bundle_dir,
        engine.url.render_as_string(hide_password=True),
        settings.feature_store_auth,
    )
    predictor = Predictor(bundle, store, metrics, customer_refs)
    return Resources(settings, bundle, store, metrics, predictor)
