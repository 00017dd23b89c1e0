"""Prediction use cases: look features up, score, explain, log and count."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from inference_service.explain import Explanation, explain
from inference_service.model import ModelBundle
from inference_service.observability import MetricsRecorder, log_prediction
from inference_service.store import FeatureRow, FeatureStore, StoreUnavailableError


class CustomerNotFoundError(Exception):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"customer {customer_id} not found in the feature store")
        self.customer_id = customer_id


@dataclass(frozen=True, slots=True)
class Prediction:
    row: FeatureRow
    probability: float
    prediction: int


class Predictor:
    def __init__(self, bundle: ModelBundle, store: FeatureStore, metrics: MetricsRecorder) -> None:
        self.bundle = bundle
        self.store = store
        self.metrics = metrics

    def _lookup(self, customer_id: int) -> FeatureRow:
        try:
            row = self.store.get(customer_id)
        except StoreUnavailableError:
            self.metrics.record_error("store_unavailable")
            raise
        if row is None:
            raise CustomerNotFoundError(customer_id)
        return row

    def predict(self, customer_id: int, request_id: str) -> Prediction:
        started = time.perf_counter()
        row = self._lookup(customer_id)
        probability = float(self.bundle.predict_proba(self.bundle.vectorize([row.features]))[0])
        result = Prediction(row, probability, self.bundle.decide(probability))
        self._record([result], request_id, started)
        return result

    def predict_many(
        self, customer_ids: Sequence[int], request_id: str
    ) -> tuple[list[Prediction], list[int]]:
        """Predictions for the distinct known ids (request order) and the unknown ids."""
        started = time.perf_counter()
        distinct = list(dict.fromkeys(customer_ids))
        try:
            rows = self.store.get_many(distinct)
        except StoreUnavailableError:
            self.metrics.record_error("store_unavailable")
            raise
        found = [rows[i] for i in distinct if i in rows]
        missing = [i for i in distinct if i not in rows]
        results: list[Prediction] = []
        if found:
            matrix = self.bundle.vectorize([r.features for r in found])
            probabilities = self.bundle.predict_proba(matrix)
            results = [
                Prediction(r, float(p), self.bundle.decide(float(p)))
                for r, p in zip(found, probabilities, strict=True)
            ]
        self._record(results, request_id, started)
        return results, missing

    def explain(self, customer_id: int) -> tuple[FeatureRow, Explanation]:
        row = self._lookup(customer_id)
        return row, explain(self.bundle, row.features)

    def _record(self, results: Sequence[Prediction], request_id: str, started: float) -> None:
        # Batch members share the batch's latency: that is the time the caller waited.
        latency_ms = (time.perf_counter() - started) * 1000.0
        bundle = self.bundle
        for result in results:
            log_prediction(
                request_id=request_id,
                customer_id=result.row.customer_id,
                model_version=bundle.model_version,
                as_of=result.row.as_of.isoformat(),
                features=result.row.features,
                probability=result.probability,
                prediction=result.prediction,
                threshold=bundle.threshold,
                latency_ms=latency_ms,
            )
            self.metrics.record_prediction(latency_ms, positive=result.prediction == 1)
