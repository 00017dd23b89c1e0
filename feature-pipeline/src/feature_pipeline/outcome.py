"""A run's outcome as an exit code and a message, shared by the CLI and the Glue entry."""

from __future__ import annotations

import sys
from typing import Any

from pyspark.sql import SparkSession

from feature_pipeline.config import QualitySettings
from feature_pipeline.errors import InputError, OnlineStoreError
from feature_pipeline.expectations import ExpectationResult, render
from feature_pipeline.pipeline import PipelineRunError, SessionFactory, run
from feature_pipeline.request import RunRequest

EXIT_OK = 0
EXIT_DATA_QUALITY = 1  # an expectation failed, or the volume guard refused the store
EXIT_BAD_INPUT = 2
EXIT_ONLINE_STORE = 3


class RunFailedError(Exception):
    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _print_failure(report: dict[str, Any]) -> None:
    quality = report.get("quality")
    if quality:
        _say(
            f"rows in {quality['rows_in']}: accepted {quality['rows_accepted']}, "
            f"quarantined {quality['rows_quarantined']} {quality['violations_by_rule']}"
        )
    results = [ExpectationResult(**item) for item in report.get("expectations", [])]
    if results:
        _say(render(results))
    _say(
        f"run failed: {report.get('error')}\nnothing was published: the online store, "
        "_LATEST and earlier runs are as they were"
    )


def execute(
    request: RunRequest,
    quality: QualitySettings,
    spark: SparkSession | SessionFactory | None = None,
) -> dict[str, Any]:
    """Run; on failure print why on stderr and raise RunFailedError with the exit code."""
    try:
        return run(request, quality_settings=quality, spark=spark)
    except PipelineRunError as failure:
        _print_failure(failure.report)
        bad_input = isinstance(failure.__cause__, InputError)
        raise RunFailedError(EXIT_BAD_INPUT if bad_input else EXIT_DATA_QUALITY) from failure
    except InputError as error:
        _say(f"bad input: {error}")
        raise RunFailedError(EXIT_BAD_INPUT) from error
    except OnlineStoreError as error:
        _say(f"online store: {error}\nthe live table, _LATEST and earlier runs are as they were")
        raise RunFailedError(EXIT_ONLINE_STORE) from error
