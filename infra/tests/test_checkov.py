"""checkov over every module and root: zero failed checks; every skip is justified in place."""

from __future__ import annotations

import re
from concurrent.futures import Future
from typing import Any

import pytest

from .conftest import INFRA
from .jobs import wait

SKIP_COMMENT = re.compile(r"#checkov:skip=(CKV2?_AWS_\d+)(:?)(.*)")


@pytest.fixture(scope="module")
def report(checkov_job: Future[dict[str, Any]]) -> dict[str, Any]:
    return wait(checkov_job)


def test_zero_failed_checks(report: dict[str, Any]) -> None:
    failed = [
        f"{f['check_id']} {f['resource']} ({f['file_path']}:{f['file_line_range'][0]}) "
        f"{f['check_name']}"
        for f in report["results"]["failed_checks"]
    ]
    assert not failed, "checkov failures:\n" + "\n".join(failed)


def test_no_parsing_errors_and_real_coverage(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 150
    passed = {c["check_id"] for c in report["results"]["passed_checks"]}
    # Checks that prove the scan really looked at the security-relevant resources.
    for check in (
        "CKV_AWS_145",
        "CKV_AWS_21",
        "CKV2_AWS_6",
        "CKV_AWS_16",
        "CKV_AWS_51",
        "CKV_AWS_158",
        "CKV_AWS_26",
        "CKV_AWS_285",
        "CKV_AWS_195",
        "CKV_AWS_117",
    ):
        assert check in passed, f"{check} never evaluated: is the scan missing resources?"


def test_every_skip_is_justified_next_to_the_resource() -> None:
    for tf in INFRA.rglob("*.tf"):
        if ".terraform" in tf.parts:
            continue
        for number, line in enumerate(tf.read_text().splitlines(), 1):
            match = SKIP_COMMENT.search(line)
            if match:
                reason = match.group(3).strip()
                where = f"{tf.relative_to(INFRA)}:{number}: skip {match.group(1)}"
                assert match.group(2) == ":", f"{where} needs ':<reason>'"
                assert len(reason) >= 40, f"{where} needs a written reason"


def test_skipped_checks_are_the_justified_ones(report: dict[str, Any]) -> None:
    justified: set[str] = set()
    for tf in INFRA.rglob("*.tf"):
        justified.update(m.group(1) for m in SKIP_COMMENT.finditer(tf.read_text()))
    skipped = {c["check_id"] for c in report["results"]["skipped_checks"]}
    assert skipped <= justified, f"skipped without a comment: {skipped - justified}"
