"""Liveness, readiness and version endpoints (no API key: load balancers and probes call them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from inference_service import __version__
from inference_service.deps import BundleDep
from inference_service.resources import Resources
from inference_service.schemas import ErrorResponse, HealthResponse, ReadyResponse, VersionResponse
from inference_service.store import StoreSchemaError, StoreUnavailableError

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> HealthResponse:
    """The process is up (says nothing about the model or the store)."""
    return HealthResponse(status="ok")


@router.get("/ready", responses={503: {"model": ReadyResponse, "description": "Not ready."}})
async def ready(request: Request) -> JSONResponse:
    """Model loaded and feature store reachable with the expected columns."""
    resources: Resources | None = getattr(request.app.state, "resources", None)
    store_ok, detail = False, None
    if resources is None:
        detail = "model not loaded"
    else:
        try:
            await resources.store.ping()
            store_ok = True
        except StoreUnavailableError:
            detail = "feature store unreachable"
        except StoreSchemaError:
            detail = "feature store schema does not match the model"
    body = ReadyResponse(
        status="ready" if store_ok else "not_ready",
        model_loaded=resources is not None,
        store_reachable=store_ok,
        detail=detail,
    )
    return JSONResponse(body.model_dump(), status_code=200 if store_ok else 503)


@router.get("/version", responses={503: {"model": ErrorResponse}})
async def version(bundle: BundleDep) -> VersionResponse:
    """Service and model versions."""
    return VersionResponse(
        service_version=__version__,
        model_name=bundle.model_name,
        model_version=bundle.model_version,
        model_run_id=bundle.run_id,
        model_created_at=bundle.created_at,
        threshold=bundle.threshold,
        features=list(bundle.feature_names),
        training_data_fingerprint=bundle.training_data_fingerprint,
        model_sha256=bundle.model_sha256,
    )
