"""/customers: the served feature row of one customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from inference_service.deps import PredictorDep
from inference_service.schemas import (
    CUSTOMER_ID_MAX_DIGITS,
    CUSTOMER_ID_PATTERN,
    CustomerFeaturesResponse,
    error_responses,
)

router = APIRouter(prefix="/customers", tags=["customers"])

CustomerIdPath = Annotated[
    str,
    Path(
        pattern=CUSTOMER_ID_PATTERN,
        max_length=CUSTOMER_ID_MAX_DIGITS,
        description="Customer id, digits only.",
        examples=["5008827"],
    ),
]


@router.get("/{customer_id}/features", responses=error_responses(401, 404, 422, 500, 503))
async def customer_features(
    customer_id: CustomerIdPath, predictor: PredictorDep
) -> CustomerFeaturesResponse:
    """The feature row the model would use for this customer right now."""
    row = await predictor.features(int(customer_id))
    return CustomerFeaturesResponse(
        id=str(row.customer_id),
        features=row.features,
        as_of=row.as_of,
        last_loan_date=row.last_loan_date,
        run_id=row.run_id,
    )
