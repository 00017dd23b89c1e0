"""Prediction use cases: look features up, score, explain, log and count."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from inference_service.customer_ref import CustomerRefs
from inference_service.explain import Explanation, explain
from inference_service.model import ModelBundle
from inference_service.observability import ServiceMetrics, log_prediction
from inference_service.store import CorruptRowError, FeatureRow, FeatureStore, StoreUnavailableError

log = logging.getLogger(__name__)


class CustomerNotFoundError(Exception):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"customer {customer_id} not found in the feature store")
        self.customer_id = customer_id


@dataclass(frozen=True, slots=True)
class Prediction:
    row: FeatureRow
    probability: float
    prediction: int


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """Predictions for the distinct known ids (request order), unknown ids, invalid rows."""

    predictions: list[Prediction] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    invalid: list[CorruptRowError] = field(default_factory=list)


class Predictor:
    def __init__(
        self,
        bundle: ModelBundle,
        store: FeatureStore,
        metrics: ServiceMetrics,
        customer_refs: CustomerRefs,
    ) -> None:
        self.bundle = bundle
        self.store = store
        self.metrics = metrics
        self.customer_refs = customer_refs

    async def features(self, customer_id: int) -> FeatureRow:
        """The served row of one customer; raises for unknown ids, invalid rows, outages."""
        try:
            row = await self.store.get(customer_id)
        except StoreUnavailableError:
            self.metrics.store_unavailable()
            raise
        except CorruptRowError as err:
            self._report_corrupt([err])
            raise
        if row is None:
            raise CustomerNotFoundError(customer_id)
        return row

    async def predict(self, customer_id: int, request_id: str) -> Prediction:
        started = time.perf_counter()
        row = await self.features(customer_id)
        probability = float(self.bundle.predict_proba(self.bundle.vectorize([row.features]))[0])
        result = Prediction(row, probability, self.bundle.decide(probability))
        self._record([result], request_id, started)
        return result

    async def predict_many(self, customer_ids: Sequence[int], request_id: str) -> BatchOutcome:
        started = time.perf_counter()
        distinct = list(dict.fromkeys(customer_ids))
        try:
            lookup = await self.store.get_many(distinct)
        except StoreUnavailableError:
            self.metrics.store_unavailable()
            raise
        found = [lookup.rows[i] for i in distinct if i in lookup.rows]
        invalid = [lookup.corrupt[i] for i in distinct if i in lookup.corrupt]
        missing = [i for i in distinct if i not in lookup.rows and i not in lookup.corrupt]
        if invalid:
            self._report_corrupt(invalid)
        results: list[Prediction] = []
        if found:
            matrix = self.bundle.vectorize([r.features for r in found])
            probabilities = self.bundle.predict_proba(matrix)
            results = [
                Prediction(r, float(p), self.bundle.decide(float(p)))
                for r, p in zip(found, probabilities, strict=True)
            ]
            self._record(results, request_id, started)
        return BatchOutcome(results, missing, invalid)

    async def explain(self, customer_id: int) -> tuple[FeatureRow, Explanation]:
        row = await self.features(customer_id)
        return row, explain(self.bundle, row.features)

    def _report_corrupt(self, errors: Sequence[CorruptRowError]) -> None:
        """One log line per invalid row, naming the customer by pseudonym only."""
        self.metrics.corrupt_rows(len(errors))
        refs = self.customer_refs.refs([e.customer_id for e in errors])
        for err, ref in zip(errors, refs, strict=True):
            log.error(
                "corrupt feature row: %s %s",
                err.column,
                err.problem,
                extra={"customer_ref": ref, "column": err.column, "store_run_id": err.run_id},
            )

    def _record(self, results: Sequence[Prediction], request_id: str, started: float) -> None:
        # Batch members share the batch's latency: that is the time the caller waited.
        latency_ms = (time.perf_counter() - started) * 1000.0
        bundle = self.bundle
        refs = self.customer_refs.refs([r.row.customer_id for r in results])
        positives = 0
        for result, ref in zip(results, refs, strict=True):
            positives += result.prediction
            log_prediction(
                request_id=request_id,
                customer_ref=ref,
                model_version=bundle.model_version,
                as_of=result.row.as_of.isoformat(),
                store_run_id=result.row.run_id,
                features=result.row.features,
                probability=result.probability,
                prediction=result.prediction,
                threshold=bundle.threshold,
                latency_ms=latency_ms,
            )
        self.metrics.predictions(latency_ms, count=len(results), positives=positives)
