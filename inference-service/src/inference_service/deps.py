"""Typed FastAPI dependencies."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from inference_service.middleware import REQUEST_ID_SCOPE_KEY
from inference_service.model import ModelBundle
from inference_service.predictor import Predictor
from inference_service.resources import Resources


class ServiceNotReadyError(Exception):
    """Start-up has not completed (no model loaded in this process)."""


def _resources(request: Request) -> Resources:
    resources: Resources | None = getattr(request.app.state, "resources", None)
    if resources is None:
        raise ServiceNotReadyError
    return resources


# Dependencies take the Request directly rather than chaining through each other: FastAPI's
# dependency resolution costs tens of microseconds per level on the hot path.
async def get_predictor(request: Request) -> Predictor:
    return _resources(request).predictor


async def get_bundle(request: Request) -> ModelBundle:
    return _resources(request).bundle


def _request_id(request: Request) -> str:
    request_id = request.scope.get(REQUEST_ID_SCOPE_KEY)
    return request_id if isinstance(request_id, str) else "unknown"


@dataclass(frozen=True, slots=True)
class Serving:
    """What a scoring route needs: the predictor and this request's id."""

    predictor: Predictor
    request_id: str


def get_serving(request: Request) -> Serving:
    """Called by the scoring routes themselves, on the `Request` FastAPI hands them.

    Deliberately not a `Depends`: resolving even one sub-dependency costs FastAPI ~20 us per
    request (about a tenth of the app's whole /predict time), on the busiest routes.
    """
    return Serving(_resources(request).predictor, _request_id(request))


_api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Required only when the service runs with API_KEY set (local use).",
)


async def require_api_key(
    request: Request, api_key: Annotated[str | None, Security(_api_key_header)]
) -> None:
    """Checked only on apps built with an API key (see main.create_app)."""
    expected = _resources(request).settings.api_key
    if expected is None:
        return
    if api_key is None or not hmac.compare_digest(
        api_key.encode(), expected.get_secret_value().encode()
    ):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED, detail="missing or invalid API key"
        )


PredictorDep = Annotated[Predictor, Depends(get_predictor)]
BundleDep = Annotated[ModelBundle, Depends(get_bundle)]
