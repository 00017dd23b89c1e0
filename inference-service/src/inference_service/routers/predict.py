"""/predict: score one or many customers, or explain one score."""

from __future__ import annotations

from fastapi import APIRouter, Request

from inference_service.deps import PredictorDep, get_serving
from inference_service.explain import METHOD as EXPLANATION_METHOD
from inference_service.predictor import Prediction
from inference_service.schemas import (
    BatchPredictionResponse,
    BatchPredictRequest,
    ExplanationResponse,
    FeatureContributionOut,
    InvalidRow,
    PredictionResponse,
    PredictRequest,
    error_responses,
)

router = APIRouter(prefix="/predict", tags=["predict"])


def _response(result: Prediction, model_version: str, threshold: float) -> PredictionResponse:
    return PredictionResponse(
        id=str(result.row.customer_id),
        prediction=1 if result.prediction else 0,
        probability=result.probability,
        threshold=threshold,
        model_version=model_version,
        features=result.row.features,
        as_of=result.row.as_of,
    )


@router.post("", responses=error_responses(401, 404, 413, 422, 500, 503))
async def predict(body: PredictRequest, request: Request) -> PredictionResponse:
    """Score one customer from its served feature row."""
    serving = get_serving(request)
    result = await serving.predictor.predict(body.id, serving.request_id)
    bundle = serving.predictor.bundle
    return _response(result, bundle.model_version, bundle.threshold)


@router.post("/batch", responses=error_responses(401, 413, 422, 503))
async def predict_batch(body: BatchPredictRequest, request: Request) -> BatchPredictionResponse:
    """Score up to 100 customers; unknown ids are listed in `not_found` and ids whose stored
    row is invalid in `invalid`: neither fails the batch."""
    serving = get_serving(request)
    outcome = await serving.predictor.predict_many(body.ids, serving.request_id)
    bundle = serving.predictor.bundle
    return BatchPredictionResponse(
        model_version=bundle.model_version,
        threshold=bundle.threshold,
        results=[_response(r, bundle.model_version, bundle.threshold) for r in outcome.predictions],
        not_found=[str(i) for i in outcome.not_found],
        invalid=[InvalidRow(id=str(e.customer_id), detail=str(e)) for e in outcome.invalid],
    )


@router.post("/explain", responses=error_responses(401, 404, 413, 422, 500, 503))
async def explain_prediction(body: PredictRequest, predictor: PredictorDep) -> ExplanationResponse:
    """Per-feature contributions to one customer's probability (for debugging a decision)."""
    row, explanation = await predictor.explain(body.id)
    bundle = predictor.bundle
    return ExplanationResponse(
        id=str(row.customer_id),
        model_version=bundle.model_version,
        prediction=1 if bundle.decide(explanation.probability) else 0,
        probability=explanation.probability,
        threshold=bundle.threshold,
        as_of=row.as_of,
        baseline_probability=explanation.baseline_probability,
        contributions=[
            FeatureContributionOut(
                feature=c.feature,
                value=c.value,
                baseline_value=c.baseline_value,
                path_contribution=c.path_contribution,
                probability_after_step=c.probability_after_step,
                occlusion_contribution=c.occlusion_contribution,
            )
            for c in explanation.contributions
        ],
        method=EXPLANATION_METHOD,
    )
