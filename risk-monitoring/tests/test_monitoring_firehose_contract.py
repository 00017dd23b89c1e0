"""Contract between the prediction-log delivery (monitoring Terraform module) and the job.

The inference function writes each prediction as one compact JSON line on stdout; a CloudWatch
Logs subscription filter sends matching events to Firehose as gzip'd JSON envelopes; Firehose's
processors Decompression -> CloudWatchLogProcessing (DataMessageExtraction) ->
AppendDelimiterToRecord turn each log event into its message plus a newline, and GZIP output
writes them under ``predictions/<yyyy-MM-dd>/`` with the ``.jsonl.gz`` extension. moto does not
deliver log events to Firehose, so ``firehose_object`` below applies those documented processor
steps to real subscription payloads; ``risk-monitor run --logs-window previous_day`` then reads
the result like the scheduled Lambda does.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
from monitoring_factories import LOG_DAY, draw_features, prediction_records
from typer.testing import CliRunner

from risk_monitoring.cli import app

LOG_GROUP = "/aws/lambda/credit-risk-mx-prod-inference"


def subscription_payload(messages: list[str], message_type: str = "DATA_MESSAGE") -> bytes:
    """One record as CloudWatch Logs puts it into Firehose: a gzip'd JSON envelope."""
    envelope = {
        "messageType": message_type,
        "owner": "123456789012",
        "logGroup": LOG_GROUP,
        "logStream": "2026/11/25/[42]0123456789abcdef",
        "subscriptionFilters": ["credit-risk-mx-prod-prediction-log"],
        "logEvents": [
            {"id": str(i), "timestamp": 1764028800000 + i, "message": message}
            for i, message in enumerate(messages)
        ],
    }
    return gzip.compress(json.dumps(envelope).encode())


def firehose_object(records: list[bytes]) -> bytes:
    """The S3 object body Firehose writes for these records (see the module docstring)."""
    out = []
    for record in records:
        # Firehose hands processors base64 data; round-trip it as the service does.
        data = base64.b64decode(base64.b64encode(record))
        envelope: dict[str, Any] = json.loads(gzip.decompress(data))  # Decompression
        if envelope["messageType"] != "DATA_MESSAGE":  # CloudWatchLogProcessing drops CONTROL
            continue
        for event in envelope["logEvents"]:  # DataMessageExtraction: one record per message
            out.append(event["message"].encode() + b"\n")  # AppendDelimiterToRecord
    return gzip.compress(b"".join(out))  # compression_format = GZIP


def test_subscription_payloads_through_firehose_are_read_by_the_job(
    tmp_path: Path, metadata_path: Path
) -> None:
    records = prediction_records(draw_features(np.random.default_rng(11), 500), seed=11)
    # The service's exact line format (compact separators); Lambda keeps the stdout line's
    # trailing newline in the event message, so Firehose output has blank lines in between.
    lines = [json.dumps(r, separators=(",", ":")) + "\n" for r in records]
    batches = [subscription_payload(lines[i : i + 120]) for i in range(0, len(lines), 120)]
    batches.insert(1, subscription_payload(["CWL CONTROL MESSAGE"], "CONTROL_MESSAGE"))
    day = tmp_path / "predictions" / LOG_DAY.date().isoformat()
    day.mkdir(parents=True)
    name = "credit-risk-mx-prod-prediction-log-1-2026-11-25-10-00-00-0a1b2c3d"
    (day / f"{name}.jsonl.gz").write_bytes(firehose_object(batches[:3]))
    (day / f"{name}-2.jsonl.gz").write_bytes(firehose_object(batches[3:]))
    # Another day's object must not be read.
    other = tmp_path / "predictions" / "2026-11-24"
    other.mkdir()
    (other / f"{name}.jsonl.gz").write_bytes(firehose_object(batches[:1]))

    result = CliRunner().invoke(
        app,
        [
            "run",
            "--logs",
            f"{tmp_path / 'predictions'}/",
            "--logs-window",
            "previous_day",
            "--metadata",
            str(metadata_path),
            "--now",
            "2026-11-26T04:30:00+00:00",
            "--report-json",
            str(tmp_path / "report.json"),
            "--no-emf",
        ],
    )

    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    accounting = report["input"]
    assert len(accounting["log_files"]) == 2
    assert accounting["predictions_accepted"] == 500
    assert accounting["predictions_rejected"] == 0
    assert accounting["non_json_lines"] == 0
    assert accounting["lines_accounted_for"] is True
