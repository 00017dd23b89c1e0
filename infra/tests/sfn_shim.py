"""A pass-through proxy in front of moto that answers two Step Functions calls moto lacks and
returns API Gateway's resource policies encoded as AWS does.

The aws provider (>= 5.67) calls ValidateStateMachineDefinition before creating a state machine;
moto 5.2 does not implement it (HTTP 500, which the provider retries for minutes). The shim
answers that one call with the verdict of infra/tests/asl.py — a real validation, not a stub —
ListStateMachineVersions (read after create) gets an empty list: the
module publishes no versions. API Gateway returns a REST API's `policy` as a JSON string
escaped once more (`{\\"Version\\":...`), which the provider unescapes on read; moto returns it
as stored, and the provider's read fails ("invalid character after top-level value"), so the
shim escapes it in moto's REST API answers. Every other request is forwarded to moto
unchanged. The provider's `sfn` and `apigateway` endpoints use the shim.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import asl

VALIDATE_TARGET = "AWSStepFunctions.ValidateStateMachineDefinition"
# Read by the provider after create; moto keeps no published versions (we publish none).
LIST_VERSIONS_TARGET = "AWSStepFunctions.ListStateMachineVersions"


def escape_rest_api_policy(answer: bytes) -> bytes:
    """A REST API answer (one API or a page of them) with `policy` escaped as AWS sends it."""
    try:
        document = json.loads(answer)
    except ValueError:
        return answer
    if not isinstance(document, dict):
        return answer
    apis = [document, *document.get("item", [])]
    changed = False
    for api in apis:
        policy = api.get("policy") if isinstance(api, dict) else None
        if isinstance(policy, str) and policy.startswith("{"):
            api["policy"] = json.dumps(policy)[1:-1]
            changed = True
    return json.dumps(document).encode() if changed else answer


def _handler_for(upstream: str) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.headers.get("X-Amz-Target") == VALIDATE_TARGET:
                definition = json.loads(json.loads(body)["definition"])
                problems = asl.validate(definition)
                verdict = {
                    "result": "FAIL" if problems else "OK",
                    "diagnostics": [
                        {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": p}
                        for p in problems
                    ],
                    "truncated": False,
                }
                payload = json.dumps(verdict).encode()
                self._reply(200, [("Content-Type", "application/x-amz-json-1.0")], payload)
                return
            if self.headers.get("X-Amz-Target") == LIST_VERSIONS_TARGET:
                payload = json.dumps({"stateMachineVersions": []}).encode()
                self._reply(200, [("Content-Type", "application/x-amz-json-1.0")], payload)
                return
            connection = http.client.HTTPConnection(
                target.hostname or "127.0.0.1", target.port, timeout=60
            )
            # Host stays as the client sent it: it is signed (SigV4), and moto checks signatures
            # when IAM is enforced.
            headers = dict(self.headers.items())
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            if self.path.startswith("/restapis"):
                answer = escape_rest_api_policy(answer)
            self._reply(response.status, response.getheaders(), answer)
            connection.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward  # noqa: N815

    return Handler


@contextmanager
def running_shim(upstream: str) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(upstream))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
