"""The Lambda Runtime API, served locally, so an image's own runtime client can be driven.

A container image on Lambda runs its ENTRYPOINT (for our images ``python -m awslambdaric
<handler>``); the runtime client polls ``GET /2018-06-01/runtime/invocation/next`` on
``AWS_LAMBDA_RUNTIME_API`` and posts each result back. :class:`LambdaRuntimeApi` is that
endpoint (the documented paths and headers, standard library only): start the image's entry
point with :meth:`LambdaRuntimeApi.environment`, then :meth:`LambdaRuntimeApi.invoke` events one
at a time, as Lambda does for one execution environment (the first is the cold start).
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:image-boot-test"


@dataclass(frozen=True)
class Invocation:
    """What the runtime posted for one event: ``ok`` False for an ``/error`` post."""

    ok: bool
    payload: Any
    error_type: str | None = None


class LambdaRuntimeApi:
    def __init__(self) -> None:
        self._events: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._results: dict[str, queue.Queue[Invocation]] = {}
        self.init_error: Any = None
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def environment(self) -> dict[str, str]:
        """What Lambda sets for a function's runtime process (the parts our images read)."""
        return {
            "AWS_LAMBDA_RUNTIME_API": self.address,
            "AWS_LAMBDA_FUNCTION_NAME": "image-boot-test",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }

    def __enter__(self) -> LambdaRuntimeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def invoke(self, event: Any, timeout: float = 60) -> Invocation:
        """Hand ``event`` to the runtime and wait for its response or error."""
        request_id = str(uuid.uuid4())
        self._results[request_id] = queue.Queue()
        self._events.put((request_id, json.dumps(event).encode()))
        try:
            return self._results[request_id].get(timeout=timeout)
        except queue.Empty:
            detail = f"; init error: {self.init_error}" if self.init_error else ""
            raise TimeoutError(f"no result for the event within {timeout:.0f} s{detail}") from None

    def _next_event(self) -> tuple[str, bytes] | None:
        while not self._stopping.is_set():
            try:
                return self._events.get(timeout=0.2)
            except queue.Empty:
                continue
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # the test's output stays the runtime's own

            def _reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    return raw.decode(errors="replace")

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(404)
                    return
                item = api._next_event()
                if item is None:
                    self._reply(503)
                    return
                request_id, body = item
                deadline = int((time.time() + 60) * 1000)
                self._reply(
                    200,
                    body,
                    {
                        "Content-Type": "application/json",
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline),
                        "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                        "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-0;Sampled=0",
                    },
                )

            def do_POST(self) -> None:
                body = self._body()
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = body
                    self._reply(202, b"{}")
                    return
                parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
                if len(parts) != 2 or parts[0] not in api._results:
                    self._reply(404)
                    return
                request_id, kind = parts
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                api._results[request_id].put(Invocation(kind == "response", body, error_type))
                self._reply(202, b"{}")

        return Handler
