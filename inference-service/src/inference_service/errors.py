"""Map domain errors to JSON responses. No handler ever includes a traceback."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from inference_service.deps import ServiceNotReadyError
from inference_service.middleware import REQUEST_ID_SCOPE_KEY
from inference_service.predictor import CustomerNotFoundError
from inference_service.store import CorruptRowError, StoreSchemaError, StoreUnavailableError

log = logging.getLogger(__name__)

STARTUP_RETRY_AFTER_SECONDS = 5


def _error(
    request: Request, status_code: int, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"detail": detail, "request_id": request.scope.get(REQUEST_ID_SCOPE_KEY)}
    return JSONResponse(body, status_code=status_code, headers=headers)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return _error(request, status.HTTP_404_NOT_FOUND, str(exc))


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return _error(
        request,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "feature store unavailable, retry later",
        headers={"Retry-After": "1"},
    )


async def _store_schema(request: Request, exc: Exception) -> JSONResponse:
    log.error("feature store schema mismatch: %s", exc)
    return _error(
        request,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "feature store schema does not match the model",
    )


async def _corrupt_row(request: Request, exc: Exception) -> JSONResponse:
    # Logged (by pseudonym) where it was found; the caller learns which column is wrong.
    return _error(
        request,
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        f"{exc}; this customer cannot be scored until the feature store is republished",
    )


async def _not_ready(request: Request, exc: Exception) -> JSONResponse:
    failed = getattr(request.app.state, "startup_error", None)
    detail = "service is starting up"
    if failed:
        detail = f"service unavailable: start-up failed ({failed})"
    return _error(
        request,
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail,
        headers={"Retry-After": str(STARTUP_RETRY_AFTER_SECONDS)},
    )


# FastAPI's wording when a JSON body cannot even be decoded; this API reports every invalid
# body as 422, so clients have one status to handle.
_BODY_PARSE_ERROR = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == status.HTTP_400_BAD_REQUEST and exc.detail == _BODY_PARSE_ERROR:
        return JSONResponse(
            {
                "detail": [{"loc": ["body"], "msg": "body is not valid JSON", "type": "json"}],
                "message": "invalid request: the body must be valid UTF-8 JSON",
                "request_id": request.scope.get(REQUEST_ID_SCOPE_KEY),
            },
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return _error(request, exc.status_code, str(exc.detail), headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only location, message and type: echoing the input back could reflect megabytes or
    # markup into logs and clients, and ctx may hold non-serialisable objects.
    items = [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    message = "invalid request"
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH") and "json" not in content_type.lower():
        message = "invalid request: the body must be JSON sent as Content-Type: application/json"
    return JSONResponse(
        {
            "detail": items,
            "message": message,
            "request_id": request.scope.get(REQUEST_ID_SCOPE_KEY),
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CustomerNotFoundError, _not_found)
    app.add_exception_handler(StoreUnavailableError, _store_unavailable)
    app.add_exception_handler(StoreSchemaError, _store_schema)
    app.add_exception_handler(CorruptRowError, _corrupt_row)
    app.add_exception_handler(ServiceNotReadyError, _not_ready)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
