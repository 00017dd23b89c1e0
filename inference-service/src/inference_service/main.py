"""The FastAPI application: ``inference_service.main:app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from inference_service import __version__
from inference_service.config import Settings
from inference_service.deps import require_api_key
from inference_service.errors import register_error_handlers
from inference_service.middleware import RequestGuardMiddleware
from inference_service.resources import build_resources
from inference_service.routers import customers, health, predict


def load_resources(app: FastAPI, settings: Settings | None = None) -> None:
    """Load model and store into ``app.state`` unless already done (idempotent)."""
    if getattr(app.state, "resources", None) is None:
        app.state.resources = build_resources(settings or app.state.settings)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    load_resources(app)
    yield
    resources = app.state.resources
    app.state.resources = None
    resources.close()


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
