"""What a run is asked to do, checked before any work starts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from feature_pipeline.errors import InputError
from feature_pipeline.location import Location, S3Location, contains, parse_location
from feature_pipeline.store_access import StoreAuth, StoreTarget, check_target

DEFAULT_RETAIN_RUNS = 5
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class RunRequest:
    input: Location
    output: Location
    store: StoreTarget
    as_of: date
    run_id: str | None = None
    native_s3: bool = False  # Glue: Spark reads/writes s3:// itself
    allow_shrink: bool = False
    retain_runs: int = DEFAULT_RETAIN_RUNS

    @classmethod
    def from_uris(
        cls,
        input_uri: str,
        output_uri: str,
        store_url: str,
        as_of: date,
        store_auth: StoreAuth = "password",
        **options: Any,
    ) -> RunRequest:
        return cls(
            parse_location(input_uri),
            parse_location(output_uri),
            StoreTarget(store_url, store_auth),
            as_of,
            **options,
        )


def check_request(request: RunRequest) -> None:
    if request.run_id is not None and not _RUN_ID.match(request.run_id):
        raise InputError("run id must be 1-64 characters of letters, digits, '.', '_' or '-'")
    if request.retain_runs < 1:
        raise InputError("retain_runs must be at least 1 (the run being published)")
    check_target(request.store)
    if isinstance(request.output, S3Location) and not request.output.prefix:
        raise InputError(f"S3 output {request.output.uri!r} needs a key prefix, not a bare bucket")
    if contains(request.output, request.input):
        # Runs are retired by deleting folders under the output: never the input's.
        raise InputError("the input must not live inside the output location")
