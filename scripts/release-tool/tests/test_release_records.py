"""Release records stay within AWS size limits and read back what was written."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from release_tool.records import (
    AliasRecord,
    ReleaseEvent,
    VersionRecord,
    event_tag_key,
    events_from_tags,
)

TAG_VALUE_ALLOWED = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.:/=+-@")


@given(why=st.text(max_size=600), by=st.text(max_size=400))
def test_alias_record_always_fits_256_characters_and_keeps_the_versions(why: str, by: str) -> None:
    record = AliasRecord(
        op="promote", at="2026-11-26T12:00:00Z", by=by, why=why, live="12", previous="11"
    )
    encoded = record.encode()

    assert len(encoded) <= 256
    decoded = AliasRecord.decode(encoded)
    assert decoded is not None
    assert (decoded.op, decoded.live, decoded.previous) == ("promote", "12", "11")


def test_short_records_round_trip_unchanged() -> None:
    record = AliasRecord(
        op="rollback",
        at="2026-11-26T03:01:00Z",
        by="jane",
        why="INC-7",
        live="3",
        rolled_back_from="4",
    )
    assert AliasRecord.decode(record.encode()) == record


@pytest.mark.parametrize(
    "description", ["", "Live traffic (managed by terraform)", "[]", '{"op": "x"}', "{"]
)
def test_foreign_alias_descriptions_are_not_release_records(description: str) -> None:
    assert AliasRecord.decode(description) is None


@given(image=st.text(max_size=300), why=st.text(max_size=300))
def test_version_record_fits_and_never_loses_the_model_version(image: str, why: str) -> None:
    encoded = VersionRecord(model_version="42", image=image, by="x" * 90, why=why).encode()

    assert len(encoded) <= 256
    assert json.loads(encoded)["model_version"] == "42"


@given(why=st.text(max_size=400), by=st.text(max_size=100))
def test_event_tag_values_fit_and_use_only_portable_characters(why: str, by: str) -> None:
    event = ReleaseEvent(seq=7, op="canary", at="2026-11-26T12:00:00Z", by=by, why=why)
    value = event.encode()

    assert len(value) <= 256
    assert set(value) <= TAG_VALUE_ALLOWED
    decoded = ReleaseEvent.decode(value)
    assert decoded is not None
    assert (decoded.seq, decoded.op) == (7, "canary")


def test_event_round_trip_keeps_the_reason_with_spaces() -> None:
    event = ReleaseEvent(
        seq=3,
        op="rollback",
        at="2026-11-26T03:00:00Z",
        by="arn:aws:sts::1:assumed-role/a/b",
        stable="4",
        why="p99 latency 3s on canary",
    )
    assert ReleaseEvent.decode(event.encode()) == event


def test_history_ring_reuses_slots_and_reads_back_in_order() -> None:
    tags = {"market": "mx"}
    for seq in range(1, 14):
        event = ReleaseEvent(seq=seq, op="canary", at=f"t{seq}", by="x")
        tags[event_tag_key(seq, ring_size=5)] = event.encode()

    events = events_from_tags(tags)

    assert [event.seq for event in events] == [9, 10, 11, 12, 13]
    assert len([key for key in tags if key.startswith("release:event:")]) == 5
