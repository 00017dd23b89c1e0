"""The FastAPI application: ``inference_service.main:app``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from inference_service import __version__
from inference_service.config import Settings
from inference_service.deps import require_api_key
from inference_service.errors import STARTUP_RETRY_AFTER_SECONDS, register_error_handlers
from inference_service.middleware import RequestGuardMiddleware
from inference_service.resources import build_resources
from inference_service.routers import customers, health, predict

log = logging.getLogger(__name__)

# A Lambda environment whose start-up failed tries again at most this often (the 503's
# Retry-After): a secret or database blip heals, a bad bundle keeps answering 503 cheaply.
STARTUP_RETRY_SECONDS = STARTUP_RETRY_AFTER_SECONDS


def load_resources(
    app: FastAPI, settings: Settings | None = None, *, concurrent: bool = False
) -> None:
    """Load model and store into ``app.state`` unless already done (idempotent); raises.

    `concurrent`: requests are served concurrently (uvicorn), see `build_resources`.
    """
    if getattr(app.state, "resources", None) is None:
        app.state.resources = build_resources(settings or app.state.settings, concurrent=concurrent)
        app.state.startup_error = None


def try_load_resources(app: FastAPI) -> bool:
    """Lambda's start-up: never raises; a failure is remembered and retried later.

    Until it succeeds every request answers a JSON 503 with Retry-After (an exception in INIT
    would reach API Gateway as a bare 502 instead).
    """
    if getattr(app.state, "resources", None) is not None:
        return True
    if time.monotonic() < getattr(app.state, "next_startup_attempt", 0.0):
        return False
    try:
        load_resources(app)
    except Exception as err:  # any start-up failure: bundle, key, store config or schema
        app.state.startup_error = type(err).__name__
        app.state.next_startup_attempt = time.monotonic() + STARTUP_RETRY_SECONDS
        log.error("start-up failed, answering 503: %s: %s", type(err).__name__, err)
        return False
    return True


async def _publish_metrics_periodically(app: FastAPI, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        resources = app.state.resources
        if resources is not None:
            resources.metrics.flush()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    load_resources(app, concurrent=True)
    publisher = asyncio.create_task(
        _publish_metrics_periodically(app, app.state.settings.metrics_flush_interval_seconds)
    )
    yield
    publisher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await publisher
    resources = app.state.resources
    app.state.resources = None
    await resources.aclose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the model and store are loaded by the lifespan (or `load_resources`)."""
    settings = settings or Settings()
    app = FastAPI(
        title="Credit-risk inference service",
        version=__version__,
        description="Scores customers from the online feature store with the exported model.",
        lifespan=lifespan,
        # Metrics go through Powertools EMF; FastAPI's OpenTelemetry hooks stay off.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.resources = None
    app.state.startup_error = None
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=settings.max_body_bytes)
    register_error_handlers(app)
    # The key check (and its OpenAPI security scheme) exists only when a key is configured:
    # in AWS, API Gateway authenticates and the hot path carries no extra dependency.
    protected = [Depends(require_api_key)] if settings.api_key is not None else []
    app.include_router(predict.router, dependencies=protected)  # hottest routes match first
    app.include_router(customers.router, dependencies=protected)
    app.include_router(health.router)
    return app


app = create_app()
