"""Request and response bodies of the HTTP API (and so the OpenAPI schema)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

# 18 digits always fit the store's BIGINT, so a valid id can never overflow a query parameter.
CUSTOMER_ID_MAX_DIGITS = 18
# JSON numbers above 2**53 lose precision in many clients (JavaScript, float parsers); such ids
# must be sent as strings.
CUSTOMER_ID_INT_MAX = 2**53 - 1
CUSTOMER_ID_PATTERN = rf"^[0-9]{{1,{CUSTOMER_ID_MAX_DIGITS}}}$"
MAX_BATCH_SIZE = 100

# [0-9] is ASCII-only, unlike str.isdigit(); fullmatch, because "$" also matches before a "\n".
_ID_RE = re.compile(rf"[0-9]{{1,{CUSTOMER_ID_MAX_DIGITS}}}")


def parse_customer_id(value: object) -> int:
    """Accept a string of ASCII digits or a non-negative integer; anything else is invalid."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 5008827.0 is the integer 5008827
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= CUSTOMER_ID_INT_MAX:
            return value
        raise ValueError(
            f"a numeric customer id must be between 0 and {CUSTOMER_ID_INT_MAX}; "
            "send larger ids as strings"
        )
    if isinstance(value, str):
        if _ID_RE.fullmatch(value):
            return int(value)
        raise ValueError(f"customer id must be 1 to {CUSTOMER_ID_MAX_DIGITS} digits (0-9)")
    raise ValueError("customer id must be a string of digits or a non-negative integer")


CustomerId = Annotated[
    int,
    PlainValidator(parse_customer_id),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": CUSTOMER_ID_PATTERN},
                {"type": "integer", "minimum": 0, "maximum": CUSTOMER_ID_INT_MAX},
            ],
            "description": "Customer id: 1-18 ASCII digits as a string, or an integer "
            "up to 2**53 - 1.",
            "examples": ["5008827"],
        }
    ),
]

FeatureValues = dict[str, float | int | None]


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"id": "5008827"}]})
    id: CustomerId


class BatchPredictRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ids": ["5008827", 5008832]}]}
    )
    ids: list[CustomerId] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class PredictionResponse(BaseModel):
    id: str = Field(description="Customer id, canonical form (no leading zeros).")
    prediction: Literal[0, 1] = Field(description="1 when probability >= threshold.")
    probability: float = Field(description="Model probability that status = 1.")
    threshold: float
    model_version: str
    features: FeatureValues = Field(description="Feature values used, null when missing.")
    as_of: date = Field(description="Materialisation date of the served feature row.")


class InvalidRow(BaseModel):
    id: str
    detail: str = Field(description="Which stored value is invalid, e.g. 'age is not an integer'.")


class BatchPredictionResponse(BaseModel):
    model_version: str
    threshold: float
    results: list[PredictionResponse] = Field(
        description="One result per distinct known id, in request order."
    )
    not_found: list[str] = Field(description="Requested ids with no row in the feature store.")
    invalid: list[InvalidRow] = Field(
        description="Requested ids whose stored row is invalid (not scored; the rest are)."
    )


class CustomerFeaturesResponse(BaseModel):
    id: str
    features: FeatureValues
    as_of: date
    last_loan_date: date
    run_id: str = Field(description="Feature pipeline run that materialised the row.")


class FeatureContributionOut(BaseModel):
    feature: str
    value: float | int | None
    baseline_value: float
    path_contribution: float = Field(
        description="Change in probability when this feature is switched from its baseline "
        "value to the customer's value, after the features before it (bundle order)."
    )
    probability_after_step: float
    occlusion_contribution: float = Field(
        description="probability minus the probability with only this feature at its baseline."
    )


class ExplanationResponse(BaseModel):
    id: str
    model_version: str
    prediction: Literal[0, 1]
    probability: float
    threshold: float
    as_of: date
    baseline_probability: float = Field(
        description="Probability of a customer with every feature at its baseline (training "
        "median); the path contributions add up from here to `probability`."
    )
    contributions: list[FeatureContributionOut]
    method: str


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready", "not_ready"]
    model_loaded: bool
    store_reachable: bool
    detail: str | None = None


class VersionResponse(BaseModel):
    service_version: str
    model_name: str
    model_version: str
    model_run_id: str
    model_created_at: str
    threshold: float
    features: list[str]
    training_data_fingerprint: str
    model_sha256: str = Field(description="SHA-256 of the served model.onnx (hex).")


class ErrorResponse(BaseModel):
    detail: str
    request_id: str | None = None


class ValidationErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorResponse(BaseModel):
    detail: list[ValidationErrorItem]
    message: str
    request_id: str | None = None


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error codes a route can return."""
    descriptions = {
        401: "Missing or wrong API key (only when an API key is configured).",
        404: "Unknown customer.",
        413: "Request body too large.",
        422: "Invalid request.",
        500: "The customer's stored feature row is invalid (or an unexpected error).",
        503: "Feature store unavailable; retry later.",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model = ValidationErrorResponse if code == 422 else ErrorResponse
        out[code] = {"model": model, "description": descriptions[code]}
    return out
