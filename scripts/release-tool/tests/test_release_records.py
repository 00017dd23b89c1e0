"""Release records stay within AWS size limits and read back what was written."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from release_tool.appspec import LambdaAppSpec
from release_tool.records import DeploymentNote, VersionRecord

SHA = "ab" * 32
DIGEST_IMAGE = (
    "123456789012.dkr.ecr.mx-central-1.amazonaws.com/credit-risk-mx-prod-inference@sha256:"
    + "c" * 64
)


@given(image=st.text(max_size=300), why=st.text(max_size=300), by=st.text(max_size=200))
def test_version_record_fits_and_never_loses_the_model_identity(
    image: str, why: str, by: str
) -> None:
    encoded = VersionRecord(
        model_version="42", model_sha256=SHA, image=image, by=by, why=why
    ).encode()

    assert len(encoded) <= 256
    decoded = json.loads(encoded)
    assert (decoded["model_version"], decoded["model_sha256"]) == ("42", SHA)


def test_a_long_digest_image_keeps_its_digest_and_who_published_it() -> None:
    record = VersionRecord("7", SHA, DIGEST_IMAGE, by="arn:aws:sts::1:assumed-role/ci/b", why="CHG")
    decoded = VersionRecord.decode(record.encode())

    assert decoded is not None
    assert decoded.by == record.by
    assert decoded.image == "@sha256:" + "c" * 64  # the repository is the function's own
    assert decoded.image_matches(DIGEST_IMAGE)
    assert not decoded.image_matches(DIGEST_IMAGE[:-1] + "d")


@given(
    region=st.sampled_from(["sa-east-1", "ap-southeast-3", "mx-central-1"]),
    by=st.text(max_size=200),
    why=st.text(max_size=300),
)
def test_two_images_of_one_repository_never_match_each_other(
    region: str, by: str, why: str
) -> None:
    # Regression: the URI was cut to a prefix shared by every image of the repository, so the
    # second model's image was refused as "already published" with the first model.
    first = DIGEST_IMAGE.replace("mx-central-1", region)
    second = first[: -len("c" * 64)] + "e" * 64
    decoded = VersionRecord.decode(VersionRecord("1", SHA, first, by=by, why=why).encode())

    assert decoded is not None
    assert decoded.image_matches(first)
    assert not decoded.image_matches(second)


def test_a_digest_image_that_fits_is_recorded_whole() -> None:
    short = "1.dkr.ecr.x.amazonaws.com/r@sha256:" + "c" * 64
    assert VersionRecord.decode(VersionRecord("3", SHA, short, by="jane").encode()) == (
        VersionRecord("3", SHA, short, by="jane")
    )


def test_short_records_round_trip_unchanged() -> None:
    record = VersionRecord("3", SHA, "1.dkr.ecr.x.amazonaws.com/r:t", by="jane", why="INC-7")
    assert VersionRecord.decode(record.encode()) == record


@pytest.mark.parametrize("description", ["", "model 1", "[]", '{"op": "x"}', "{"])
def test_foreign_descriptions_are_not_release_records(description: str) -> None:
    assert VersionRecord.decode(description) is None
    assert DeploymentNote.decode(description) is None


@given(why=st.text(max_size=600), by=st.text(max_size=400))
def test_deployment_notes_fit_and_keep_the_operation(why: str, by: str) -> None:
    encoded = DeploymentNote(op="rollback", by=by, why=why, model="12").encode()

    assert len(encoded) <= 256
    decoded = DeploymentNote.decode(encoded)
    assert decoded is not None
    assert (decoded.op, decoded.model) == ("rollback", "12")


def test_appspec_round_trips_through_a_revision() -> None:
    spec = LambdaAppSpec("fn", "live", "6", "7", before_allow_traffic="fn-pre-traffic")
    content = json.loads(spec.revision()["appSpecContent"]["content"])

    assert content["Hooks"] == [{"BeforeAllowTraffic": "fn-pre-traffic"}]
    assert content["Resources"][0]["inference"]["Properties"]["TargetVersion"] == "7"
    assert LambdaAppSpec.from_revision(spec.revision()) == spec
    assert LambdaAppSpec.from_revision({"appSpecContent": {"content": "{"}}) is None
