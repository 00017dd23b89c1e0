"""AWS Glue entry point: maps Glue job arguments onto the same run() the CLI uses.

Glue passes arguments as `--input s3://... --output s3://... --online_store <url> --as_of
YYYY-MM-DD [--run_id ID] [--max_quarantine_share 0.05]` (plus its own, which are ignored). On
Glue, awsglue.utils.getResolvedOptions parses them and Spark reads/writes s3:// natively; anywhere
else an argparse fallback with the same names is used, so the script can be exercised locally.
The feature_pipeline wheel is shipped with --additional-python-modules.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

REQUIRED = ("input", "output", "online_store", "as_of")
OPTIONAL = ("run_id", "max_quarantine_share", "native_s3")


def _on_glue() -> bool:
    try:
        import awsglue.utils  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def _resolved_options(argv: Sequence[str]) -> dict[str, Any]:
    if not _on_glue():
        parser = argparse.ArgumentParser(prog="glue-job", allow_abbrev=False)
        for name in REQUIRED:
            parser.add_argument(f"--{name}", required=True)
        parser.add_argument("--run_id", default=None)
        parser.add_argument("--max_quarantine_share", type=float, default=None)
        parser.add_argument("--native_s3", choices=("true", "false"), default="false")
        known, _glue_own = parser.parse_known_args(list(argv[1:]))
        return vars(known)
    from awsglue.utils import getResolvedOptions

    present = [name for name in OPTIONAL if f"--{name}" in argv]
    options: dict[str, Any] = dict(getResolvedOptions(list(argv), [*REQUIRED, *present]))
    options.setdefault("native_s3", "true")  # on Glue, Spark has the s3:// filesystem
    for name in OPTIONAL:
        options.setdefault(name, None)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    import typer

    from feature_pipeline.cli import execute
    from feature_pipeline.config import QualitySettings
    from feature_pipeline.pipeline import RunRequest

    options = _resolved_options(sys.argv if argv is None else argv)
    overrides: dict[str, Any] = {}
    if options["max_quarantine_share"] is not None:
        overrides["max_quarantine_share"] = float(options["max_quarantine_share"])
    request = RunRequest(
        input_uri=options["input"],
        output_uri=options["output"],
        online_store_url=options["online_store"],
        as_of=date.fromisoformat(options["as_of"]),
        run_id=options["run_id"],
        native_s3=str(options["native_s3"]).lower() == "true",
    )
    # On Glue the cluster's session must be used as is (its master and s3 filesystem come from
    # Glue); locally the pipeline builds its tuned local session.
    spark = None
    if _on_glue():
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
    try:
        report = execute(request, QualitySettings(**overrides), spark=spark)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    print(f"feature-pipeline run {report['run_id']} committed to {report['outputs']['root']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
