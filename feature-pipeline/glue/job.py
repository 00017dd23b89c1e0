"""AWS Glue entry point: maps Glue job arguments onto the same run() the CLI uses.

Arguments (Glue passes `--name value`; its own arguments are ignored):

* required: `--input s3://...`, `--output s3://...` (the output root: runs and `_LATEST`),
  `--online_store <URL>` (for the RDS Proxy: `postgresql+psycopg2://feature_pipeline@<proxy>:5432/
  features`, no password);
* run options: `--as_of YYYY-MM-DD` (default: the run's date, UTC), `--run_id`,
  `--store_auth password|iam` (AWS: `iam`, an RDS IAM token per connection),
  `--allow_shrink true|false`, `--retain_runs N`, `--native_s3 true|false`;
* every field of `feature_pipeline.config.QualitySettings` as `--<field> <value>`, e.g.
  `--loan_history_years 5 --max_days_after_as_of 1 --max_quarantine_share 0.02`: the per-market
  settings the infrastructure passes as default arguments.

On Glue, awsglue.utils.getResolvedOptions parses them and Spark reads/writes s3:// natively;
anywhere else an argparse fallback with the same names is used, so the script runs locally.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

REQUIRED = ("input", "output", "online_store")
RUN_OPTIONS = ("as_of", "run_id", "store_auth", "allow_shrink", "retain_runs", "native_s3")
_BOOLEANS = {"true": True, "false": False}


def _quality_fields() -> tuple[str, ...]:
    from feature_pipeline.config import quality_setting_names

    return quality_setting_names()


def _on_glue() -> bool:
    try:
        import awsglue.utils  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def resolved_options(argv: Sequence[str]) -> dict[str, str | None]:
    """Every argument this job knows, as given (strings), None where absent."""
    optional = (*RUN_OPTIONS, *_quality_fields())
    if _on_glue():
        from awsglue.utils import getResolvedOptions

        present = [name for name in optional if f"--{name}" in argv]
        options: dict[str, str | None] = dict(getResolvedOptions(list(argv), [*REQUIRED, *present]))
        options.setdefault("native_s3", "true")  # on Glue, Spark has the s3:// filesystem
    else:
        parser = argparse.ArgumentParser(prog="glue-job", allow_abbrev=False)
        for name in REQUIRED:
            parser.add_argument(f"--{name}", required=True)
        for name in optional:
            parser.add_argument(f"--{name}", default=None)
        known, _glue_own = parser.parse_known_args(list(argv[1:]))
        options = vars(known)
    return {name: options.get(name) for name in (*REQUIRED, *optional)}


def resolve_as_of(value: str | None) -> date:
    """The materialisation date: the given YYYY-MM-DD, or the run's date (UTC) when absent."""
    if not value:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"--as_of {value!r} is not a YYYY-MM-DD date ({error})") from error


def _boolean(name: str, value: str | None) -> bool:
    if value is None:
        return False
    try:
        return _BOOLEANS[value.strip().lower()]
    except KeyError:
        raise ValueError(f"--{name} must be true or false, not {value!r}") from None


def build_request(options: dict[str, str | None]) -> tuple[Any, Any]:
    """The RunRequest and QualitySettings these arguments describe (ValueError if unusable)."""
    from feature_pipeline.config import QualitySettings
    from feature_pipeline.request import DEFAULT_RETAIN_RUNS, RunRequest
    from feature_pipeline.store_access import STORE_AUTH_MODES

    store_auth = options["store_auth"] or "password"
    if store_auth not in STORE_AUTH_MODES:
        raise ValueError(f"--store_auth must be one of {', '.join(STORE_AUTH_MODES)}")
    quality = QualitySettings(
        **{name: value for name in _quality_fields() if (value := options[name]) is not None}
    )
    request = RunRequest.from_uris(
        str(options["input"]),
        str(options["output"]),
        str(options["online_store"]),
        resolve_as_of(options["as_of"]),
        store_auth=store_auth,  # type: ignore[arg-type]  # checked above
        run_id=options["run_id"],
        native_s3=_boolean("native_s3", options["native_s3"]),
        allow_shrink=_boolean("allow_shrink", options["allow_shrink"]),
        retain_runs=int(options["retain_runs"] or DEFAULT_RETAIN_RUNS),
    )
    return request, quality


def main(argv: Sequence[str] | None = None) -> int:
    from pydantic import ValidationError

    from feature_pipeline.outcome import EXIT_BAD_INPUT, RunFailedError, execute

    try:
        request, quality = build_request(resolved_options(sys.argv if argv is None else argv))
    except (ValueError, ValidationError) as error:  # InputError is a ValueError too
        print(f"bad job arguments: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # On Glue the cluster's session is used as is (its master and s3 filesystem come from
    # Glue); elsewhere the pipeline builds a default local session.
    spark = None
    if _on_glue():
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
    try:
        report = execute(request, quality, spark=spark)
    except RunFailedError as failure:
        return failure.exit_code
    print(
        f"feature-pipeline run {report['run_id']} committed to {report['outputs']['run']}; "
        f"_LATEST -> {report['outputs']['latest']['prefix']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
