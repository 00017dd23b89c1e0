"""The README's SigV4 client, run as written against a local HTTP server that checks the
signature with an independent implementation of AWS Signature Version 4 (hashlib + hmac, from
the published algorithm), the way API Gateway's IAM authorization does. Nothing reaches AWS."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = "<!-- signed-client: run by tests/test_isvc_signed_client.py -->"
ACCESS_KEY = "AKIDEXAMPLECONSUMER1"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "session-token-of-the-consumer-role"
REGION = "mx-central-1"
API_KEY = "usage-plan-key-of-the-consumer"


def readme_client() -> dict[str, Any]:
    text = README.read_text()
    assert MARKER in text, "the signed-client sample is gone from the README"
    block = re.search(r"```python\n(.*?)```", text.split(MARKER, 1)[1], re.S)
    assert block is not None
    namespace: dict[str, Any] = {}
    exec(compile(block.group(1), str(README), "exec"), namespace)  # noqa: S102 - our README
    return namespace


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def verify_sigv4(
    method: str, path: str, headers: dict[str, str], body: bytes, secret_key: str
) -> dict[str, str]:
    """Recompute the request's SigV4 signature; returns the parsed Authorization fields, or
    raises AssertionError naming what does not match."""
    authorization = headers["authorization"]
    algorithm, _, fields = authorization.partition(" ")
    assert algorithm == "AWS4-HMAC-SHA256"
    parts = dict(item.strip().split("=", 1) for item in fields.split(","))
    access_key, date, region, service, terminator = parts["Credential"].split("/")
    assert terminator == "aws4_request"
    signed = parts["SignedHeaders"].split(";")
    canonical_headers = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed)
    canonical_request = "\n".join(
        [
            method,
            path,
            "",  # no query string
            canonical_headers,
            parts["SignedHeaders"],
            hashlib.sha256(body).hexdigest(),
        ]
    )
    amz_date = headers["x-amz-date"]
    assert amz_date.startswith(date)
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            amz_date,
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _sign(("AWS4" + secret_key).encode(), date)
    for step in (region, service, "aws4_request"):
        key = _sign(key, step)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["Signature"]), "signature does not match"
    return {"access_key": access_key, "region": region, "service": service, **parts}


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.received.append((self.command, self.path, headers, body))
        answer = json.dumps({"id": json.loads(body)["id"], "prediction": 0}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_api() -> Iterator[tuple[str, list[tuple[str, str, dict[str, str], bytes]]]]:
    received: list[tuple[str, str, dict[str, str], bytes]] = []
    handler = type("Recorder", (_Recorder,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def consumer_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The consumer role's session credentials, from the environment (no profile, no IMDS)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)  # botocore reads it first
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("consumer_credentials")
def test_readme_client_signs_for_execute_api(
    local_api: tuple[str, list[tuple[str, str, dict[str, str], bytes]]],
) -> None:
    invoke_url, received = local_api
    answer = readme_client()["predict"](invoke_url, API_KEY, "5008827", REGION)

    assert answer == {"id": "5008827", "prediction": 0}
    [(method, path, headers, body)] = received
    assert (method, path) == ("POST", "/v1/predict")
    assert json.loads(body) == {"id": "5008827"}
    fields = verify_sigv4(method, path, headers, body, SECRET_KEY)
    assert (fields["access_key"], fields["region"], fields["service"]) == (
        ACCESS_KEY,
        REGION,
        "execute-api",
    )
    # The host, the time, the session token and the usage-plan key are all under the signature.
    assert {"host", "x-amz-date", "x-amz-security-token", "x-api-key"} <= set(
        fields["SignedHeaders"].split(";")
    )
    assert headers["x-amz-security-token"] == SESSION_TOKEN
    assert headers["x-api-key"] == API_KEY
    signed_at = dt.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    assert abs(dt.datetime.now(dt.UTC) - signed_at) < dt.timedelta(minutes=5)


@pytest.mark.usefixtures("consumer_credentials")
def test_the_verifier_refuses_a_tampered_request(
    local_api: tuple[str, list[tuple[str, str, dict[str, str], bytes]]],
) -> None:
    """The check above can fail: another body, another key, another secret or another path
    under the same Authorization header do not verify."""
    invoke_url, received = local_api
    readme_client()["predict"](invoke_url, API_KEY, "5008827", REGION)
    [(method, path, headers, body)] = received
    verify_sigv4(method, path, headers, body, SECRET_KEY)
    with pytest.raises(AssertionError, match="signature"):
        verify_sigv4(method, path, headers, b'{"id": "5008828"}', SECRET_KEY)
    with pytest.raises(AssertionError, match="signature"):
        verify_sigv4(method, path, {**headers, "x-api-key": "another-plan"}, body, SECRET_KEY)
    with pytest.raises(AssertionError, match="signature"):
        verify_sigv4(method, path, headers, body, SECRET_KEY[::-1])
    with pytest.raises(AssertionError, match="signature"):
        verify_sigv4(method, "/v1/predict/batch", headers, body, SECRET_KEY)
    assert urlsplit(invoke_url).path + "/predict" == path
