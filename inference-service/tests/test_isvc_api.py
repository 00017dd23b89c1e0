"""Route tests: answers checked against the scikit-learn pipeline the bundle was exported from."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from isvc_support import (
    AS_OF,
    FEATURE_NAMES,
    KNOWN_CUSTOMERS,
    MODEL_VERSION,
    RUN_ID,
    THRESHOLD,
    TrainedBundle,
    expected_customer_ref,
    prediction_lines,
)


def _features(customer_id: int) -> dict[str, Any]:
    return dict(zip(FEATURE_NAMES, KNOWN_CUSTOMERS[customer_id], strict=True))


@pytest.mark.parametrize("customer_id", sorted(KNOWN_CUSTOMERS))
def test_predict_matches_the_reference_pipeline(
    client: TestClient, trained_bundle: TrainedBundle, customer_id: int
) -> None:
    response = client.post("/predict", json={"id": str(customer_id)})

    assert response.status_code == 200
    body = response.json()
    expected = float(trained_bundle.reference_proba([KNOWN_CUSTOMERS[customer_id]])[0])
    assert body["probability"] == pytest.approx(expected, abs=1e-5)
    assert body["prediction"] == (1 if expected >= THRESHOLD else 0)
    assert body["id"] == str(customer_id)
    assert body["threshold"] == THRESHOLD
    assert body["model_version"] == MODEL_VERSION
    assert body["features"] == _features(customer_id)
    assert body["as_of"] == AS_OF


def test_both_decisions_occur_in_the_fixture(trained_bundle: TrainedBundle) -> None:
    # Guards the test above: with one class only, the decision check would prove little.
    proba = trained_bundle.reference_proba(list(KNOWN_CUSTOMERS.values()))
    assert (proba >= THRESHOLD).any()
    assert (proba < THRESHOLD).any()


@pytest.mark.parametrize("given", [5008827, "5008827", "0005008827", 5008827.0])
def test_id_as_integer_string_or_with_leading_zeros(client: TestClient, given: Any) -> None:
    response = client.post("/predict", json={"id": given})
    assert response.status_code == 200
    assert response.json()["id"] == "5008827"


def test_unknown_customer_is_404_json(client: TestClient) -> None:
    response = client.post("/predict", json={"id": "424242"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert "424242" in response.json()["detail"]


def test_prediction_log_line_follows_the_contract(
    client: TestClient, trained_bundle: TrainedBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = client.post(
        "/predict", json={"id": "5008832"}, headers={"X-Request-ID": "req-abc.123"}
    )
    assert response.headers["x-request-id"] == "req-abc.123"

    captured = capsys.readouterr()
    lines = prediction_lines(captured.out)
    assert len(lines) == 1
    line = lines[0]
    assert set(line) == {
        "event",
        "timestamp",
        "request_id",
        "customer_ref",
        "model_version",
        "as_of",
        "store_run_id",
        "features",
        "probability",
        "prediction",
        "threshold",
        "latency_ms",
    }
    assert line["request_id"] == "req-abc.123"
    assert line["customer_ref"] == expected_customer_ref(5008832)
    assert line["store_run_id"] == RUN_ID
    # No raw id anywhere in what the service wrote (prediction line, metrics, app logs).
    assert "5008832" not in captured.out + captured.err
    assert line["features"] == _features(5008832)
    assert line["features"]["avg_amount_loans_previous"] is None
    assert line["as_of"] == AS_OF
    assert line["timestamp"].endswith("+00:00")
    assert line["probability"] == pytest.approx(response.json()["probability"])
    assert line["prediction"] == response.json()["prediction"]
    assert line["latency_ms"] > 0


def test_batch_reports_unknown_ids_and_answers_duplicates_once(
    client: TestClient, trained_bundle: TrainedBundle, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    ids = ["5008900", 1, "777", "5008900", "0001", 5009000]
    response = client.post("/predict/batch", json={"ids": ids})

    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["results"]] == ["5008900", "1", "5009000"]
    assert body["not_found"] == ["777"]
    assert body["invalid"] == []
    expected = trained_bundle.reference_proba([KNOWN_CUSTOMERS[i] for i in (5008900, 1, 5009000)])
    got = [r["probability"] for r in body["results"]]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    lines = prediction_lines(capsys.readouterr().out)
    assert len({line["request_id"] for line in lines}) == 1
    assert [line["customer_ref"] for line in lines] == [
        expected_customer_ref(i) for i in (5008900, 1, 5009000)
    ]


def test_batch_of_only_unknown_ids_is_not_an_error(client: TestClient) -> None:
    response = client.post("/predict/batch", json={"ids": ["8", "9"]})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response.json()["not_found"] == ["8", "9"]


def test_batch_size_limit(client: TestClient) -> None:
    assert client.post("/predict/batch", json={"ids": list(range(100))}).status_code == 200
    too_many = client.post("/predict/batch", json={"ids": list(range(101))})
    assert too_many.status_code == 422
    assert client.post("/predict/batch", json={"ids": []}).status_code == 422


def test_customer_features(client: TestClient) -> None:
    response = client.get("/customers/5008900/features")
    assert response.status_code == 200
    assert response.json() == {
        "id": "5008900",
        "features": _features(5008900),
        "as_of": AS_OF,
        "last_loan_date": "2024-06-01",
        "run_id": RUN_ID,
    }
    assert client.get("/customers/31337/features").status_code == 404
    assert client.get("/customers/abc/features").status_code == 422


def test_explanation_against_independent_occlusion(
    client: TestClient, trained_bundle: TrainedBundle
) -> None:
    customer = 5008900  # has a missing value (age) to exercise NaN handling
    response = client.post("/predict/explain", json={"id": str(customer)})
    assert response.status_code == 200
    body = response.json()

    values = list(KNOWN_CUSTOMERS[customer])
    baseline = [trained_bundle.metadata["baseline_values"][n] for n in FEATURE_NAMES]
    p = float(trained_bundle.reference_proba([tuple(values)])[0])
    p_base = float(trained_bundle.reference_proba([tuple(baseline)])[0])
    assert body["probability"] == pytest.approx(p, abs=1e-5)
    assert body["baseline_probability"] == pytest.approx(p_base, abs=1e-5)

    contributions = body["contributions"]
    assert [c["feature"] for c in contributions] == FEATURE_NAMES
    for i, item in enumerate(contributions):
        occluded = values.copy()
        occluded[i] = baseline[i]
        p_occluded = float(trained_bundle.reference_proba([tuple(occluded)])[0])
        assert item["occlusion_contribution"] == pytest.approx(p - p_occluded, abs=1e-5)
        stepped = values[: i + 1] + baseline[i + 1 :]
        p_step = float(trained_bundle.reference_proba([tuple(stepped)])[0])
        assert item["probability_after_step"] == pytest.approx(p_step, abs=1e-5)
        assert item["baseline_value"] == baseline[i]
    # The path contributions walk from the baseline probability to the prediction.
    total = sum(c["path_contribution"] for c in contributions)
    assert p_base + total == pytest.approx(p, abs=1e-6)
    assert contributions[2]["value"] is None
    assert not math.isnan(contributions[2]["path_contribution"])


def test_explain_unknown_customer_is_404(client: TestClient) -> None:
    assert client.post("/predict/explain", json={"id": "5"}).status_code == 404


def test_health_ready_version(client: TestClient, trained_bundle: TrainedBundle) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    version = client.get("/version").json()
    assert version["model_version"] == MODEL_VERSION
    assert version["model_name"] == "credit-risk"
    assert version["features"] == FEATURE_NAMES
    assert version["threshold"] == THRESHOLD
    assert version["model_sha256"] == trained_bundle.metadata["model_sha256"]


def test_openapi_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/predict", "/predict/batch", "/predict/explain", "/health", "/ready"} <= set(
        schema["paths"]
    )
    assert "/customers/{customer_id}/features" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_api_key_when_configured(make_client: Any) -> None:
    client = make_client(api_key="s3cret-key")
    assert client.post("/predict", json={"id": "1"}).status_code == 401
    wrong = client.post("/predict", json={"id": "1"}, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "missing or invalid API key"
    ok = client.post("/predict", json={"id": "1"}, headers={"X-API-Key": "s3cret-key"})
    assert ok.status_code == 200
    assert client.get("/customers/1/features").status_code == 401
    assert client.get("/health").status_code == 200  # probes never need the key


def test_unhandled_error_is_json_500_without_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    predictor = client.app.state.resources.predictor  # type: ignore[attr-defined]

    def explode(*args: Any) -> Any:
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(predictor.bundle, "predict_proba", explode)
    response = client.post("/predict", json={"id": "1"})
    assert response.status_code == 500
    assert response.json()["detail"] == "internal server error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


def test_requests_before_start_up_are_503(trained_bundle: TrainedBundle, tmp_path: Any) -> None:
    from inference_service.config import Settings
    from inference_service.main import create_app

    app = create_app(
        Settings(
            feature_store_url=f"sqlite:///{tmp_path / 'x.db'}",
            model_bundle_dir=trained_bundle.directory,
        )
    )
    client = TestClient(app)  # not entered: the lifespan has not loaded anything
    response = client.post("/predict", json={"id": "1"})
    assert response.status_code == 503
    assert response.json()["detail"] == "service is starting up"
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["model_loaded"] is False
