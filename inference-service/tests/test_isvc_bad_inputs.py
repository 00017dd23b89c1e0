"""Every malformed request gets a clear JSON 4xx, never a 500 or a stack trace."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from isvc_support import prediction_lines

BAD_IDS: list[Any] = [
    None,
    True,
    False,
    -1,
    "-1",
    1.5,
    "1.5",
    float("nan"),
    float("inf"),
    1e300,
    "",
    " ",
    " 123",
    "123 ",
    "123\n",
    "0x1F",
    "1e5",
    "+5",
    "١٢٣",  # Arabic-Indic digits: str.isdigit() says yes, we say no
    "１２３",  # full-width digits
    "5008827' OR '1'='1",
    "1; DROP TABLE customer_features; --",
    "1 UNION SELECT * FROM sqlite_master",
    "%",
    "*",
    "9" * 19,
    2**53,
    10**18,
    2**63,
    -(2**63),
    "9" * 10_000,
    [],
    ["5008827"],
    {},
    {"id": "5008827"},
    "😀",
    "\x00",
]


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=lambda v: repr(v)[:30])
@pytest.mark.parametrize("path", ["/predict", "/predict/explain"])
def test_invalid_ids_are_422(client: TestClient, path: str, bad_id: Any) -> None:
    # json.dumps writes NaN/Infinity tokens as Python (and many clients) do, though not JSON.
    body = json.dumps({"id": bad_id}).encode()
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"].startswith("invalid request")
    assert body["detail"][0]["loc"][:2] == ["body", "id"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize("bad_id", ["-1", "abc", "1 OR 1=1", "9" * 19, "%27", "١٢٣", "1.0"])
def test_invalid_path_ids_are_422(client: TestClient, bad_id: str) -> None:
    assert client.get(f"/customers/{bad_id}/features").status_code == 422


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/json"),
        (b"{", "application/json"),
        (b"null", "application/json"),
        (b"[]", "application/json"),
        (b'"5008827"', "application/json"),
        (b"5008827", "application/json"),
        (b"{}", "application/json"),
        (b'{"ID": "5008827"}', "application/json"),
        (b'{"id": "5008827", "extra": 1}', "application/json"),
        (b'{"id": "5008827"}', "text/plain"),
        (b"id=5008827", "application/x-www-form-urlencoded"),
        (b'{"id": "5008827"}', "application/xml"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b'{"id": "5008827"}', ""),
    ],
)
def test_malformed_bodies_are_422(client: TestClient, content: bytes, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/predict", content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"


def test_wrong_content_type_says_so(client: TestClient) -> None:
    response = client.post(
        "/predict", content=b'{"id": "1"}', headers={"content-type": "text/plain"}
    )
    assert response.status_code == 422
    assert "application/json" in response.json()["message"]


def test_oversized_body_declared_is_413(client: TestClient) -> None:
    body = json.dumps({"ids": ["1"] * 100}).encode() + b" " * 20_000
    response = client.post(
        "/predict/batch", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_oversized_body_without_length_is_413(client: TestClient) -> None:
    # A chunked upload carries no Content-Length: the limit must apply to the bytes received.
    def chunks() -> Any:
        yield b'{"id": "'
        for _ in range(100):
            yield b"1" * 1000
        yield b'"}'

    response = client.post(
        "/predict", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_lying_content_length_below_limit_still_checked(make_client: Any) -> None:
    client = make_client(max_body_bytes=1024)
    small = client.post("/predict", json={"id": "1"})
    assert small.status_code == 200
    big = client.post("/predict", json={"id": "1" * 2000})
    assert big.status_code == 413


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    missing = client.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Not Found"
    wrong_method = client.get("/predict")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/json"


def test_rejected_requests_are_not_logged_as_predictions(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    client.post("/predict", json={"id": "1; DROP TABLE customer_features"})
    client.post("/predict", json={"id": "999999"})
    assert prediction_lines(capsys.readouterr().out) == []
    # ...and the table is still there.
    assert client.post("/predict", json={"id": "1"}).status_code == 200
