from __future__ import annotations

import json

import numpy as np
from monitoring_factories import draw_features, metadata_document, prediction_records

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.io.metadata import parse_metadata

METADATA = parse_metadata(metadata_document())
LINES = [
    json.dumps(record)
    for record in prediction_records(draw_features(np.random.default_rng(8), 2000), seed=8)
]


def test_skew_sample_is_bounded_and_uniform_over_the_stream() -> None:
    early = total = 0
    for seed in range(40):
        aggregator = LogAggregator(METADATA, sample_size=100, seed=seed)
        aggregator.consume(LINES)
        positions = [int(request.request_id.rsplit("-", 1)[1]) for request in aggregator.sample]
        assert len(positions) == len(set(positions)) == 100
        early += sum(position < 1000 for position in positions)
        total += len(positions)
    # Uniform sampling keeps half of the sample from each half of the stream (sd ~ 0.008).
    assert abs(early / total - 0.5) < 0.04


def test_consuming_in_pieces_equals_consuming_at_once() -> None:
    whole = LogAggregator(METADATA, sample_size=50, seed=1)
    whole.consume(LINES)
    pieces = LogAggregator(METADATA, sample_size=50, seed=1)
    for start in range(0, len(LINES), 333):
        pieces.consume(LINES[start : start + 333])
    assert pieces.lines.accepted == whole.lines.accepted == 2000
    for j in range(len(METADATA.features)):
        np.testing.assert_array_equal(
            pieces.features.served_counts(j), whole.features.served_counts(j)
        )
    assert [r.request_id for r in pieces.sample] == [r.request_id for r in whole.sample]


def test_lines_breaking_the_contract_are_rejected_by_reason() -> None:
    records = [json.loads(line) for line in LINES[:6]]
    records[0]["timestamp"] = "yesterday"
    records[1]["as_of"] = "2026-1-1"
    records[2]["as_of"] = "2026-13-01"
    del records[3]["customer_ref"]
    records[3]["customer_id"] = "5008804"  # the raw id of an old log line is not a pseudonym
    del records[4]["store_run_id"]
    aggregator = LogAggregator(METADATA, sample_size=0)
    aggregator.consume(json.dumps(r) for r in records)
    assert dict(aggregator.lines.rejected) == {
        "bad_timestamp": 1,
        "wrong_type": 1,
        "bad_as_of": 1,
        "missing_customer_ref": 1,
        "missing_store_run_id": 1,
    }
    assert aggregator.lines.accepted == 1
    assert aggregator.lines.accounted_for
