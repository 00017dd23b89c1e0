"""AWS Lambda entry point: ``inference_service.handler.handler``.

The model, the pseudonym key and the store connection are set up at import, i.e. in Lambda's
INIT phase, once per execution environment. A failed start-up does not crash INIT (API Gateway
would answer a bare 502): the app answers a JSON 503 with Retry-After and start-up is retried.
Mangum's own lifespan support is off because it would run start-up and shutdown around every
single invocation.
"""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from inference_service.main import app, try_load_resources
from inference_service.observability import build_metrics, configure_logging

_settings = app.state.settings
configure_logging(_settings.powertools_service_name, _settings.log_level)
metrics = build_metrics(
    _settings.powertools_metrics_namespace,
    _settings.powertools_service_name,
    _settings.aws_lambda_function_version,
)
try_load_resources(app)
_asgi_handler = Mangum(app, lifespan="off")


@metrics.log_metrics  # publishes this invocation's EMF: the environment may be frozen next
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ready = try_load_resources(app)
    if event.get("warmup") is True:
        # EventBridge's scheduled warm-up ping ({"warmup": true}, see infra orchestration): it
        # only keeps this environment initialised; it is not an HTTP request for Mangum.
        if not ready:
            return {"warm": False, "startup_error": app.state.startup_error}
        return {"warm": True, "model_version": app.state.resources.bundle.model_version}
    return _asgi_handler(event, context)
