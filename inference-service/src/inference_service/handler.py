"""AWS Lambda entry point: ``inference_service.handler.handler``.

The model and the store connection are set up at import, i.e. in Lambda's INIT phase, once per
execution environment. Mangum's own lifespan support is off because it would run start-up and
shutdown around every single invocation.
"""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from inference_service.main import app, load_resources

load_resources(app)
_resources = app.state.resources
_asgi_handler = Mangum(app, lifespan="off")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("warmup") is True:
        # EventBridge's scheduled warm-up ping ({"warmup": true}, see infra orchestration): it
        # only keeps this environment initialised; it is not an HTTP request for Mangum.
        return {"warm": True, "model_version": _resources.bundle.model_version}
    try:
        return _asgi_handler(event, context)
    finally:
        # The environment may be frozen right after returning: publish this invocation's EMF.
        _resources.metrics.flush()
