"""`generate-loans`: write the synthetic loans file (and optionally defects + their manifest)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from loan_generator import schema
from loan_generator.config import DEFAULTS

_MAX_CUSTOMERS = schema.CUSTOMER_ID_MAX - schema.CUSTOMER_ID_MIN + 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generate-loans",
        description="Write a deterministic synthetic loans CSV with the real file's layout.",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=DEFAULTS.customers,
        help=f"number of customers (default {DEFAULTS.customers}, the real file)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULTS.seed, help=f"random seed (default {DEFAULTS.seed})"
    )
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument(
        "--defects",
        type=float,
        default=0.0,
        metavar="RATE",
        help="inject malformed rows: RATE x clean rows of them (0..0.5)",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        metavar="FILE",
        help="write a JSON manifest (required with --defects)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a short statistical profile after writing"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.defects != args.defects:
        parser.error(f"defect rate must be a number, got {args.defects}")
    if not 0.0 <= args.defects <= DEFAULTS.max_defect_rate:
        parser.error(
            f"defect rate must be between 0 and {DEFAULTS.max_defect_rate}, got {args.defects}"
        )
    if args.defects > 0 and args.manifest is None:
        parser.error("--defects needs --manifest FILE: the injected rows are only known from it")
    if not 1 <= args.customers <= _MAX_CUSTOMERS:
        parser.error(
            f"--customers must be between 1 and {_MAX_CUSTOMERS} (distinct ids in "
            f"{schema.CUSTOMER_ID_MIN}..{schema.CUSTOMER_ID_MAX}), got {args.customers}"
        )
    if args.seed < 0:
        parser.error(f"--seed must be non-negative, got {args.seed}")
    if args.out.is_dir():
        parser.error(f"--out is a directory: {args.out}")

    # Imported only now: argument errors and --help answer without loading numpy.
    from loan_generator.csv_writer import build_manifest, write_csv, write_manifest
    from loan_generator.dataset import generate_loans
    from loan_generator.profile import format_profile, profile_dataset
    from loan_generator.progress import RowProgress

    started = time.perf_counter()
    try:
        dataset = generate_loans(args.customers, args.seed)
        progress = RowProgress(total=dataset.rows + 1)  # the header is a line too
        report = write_csv(dataset, args.out, defects_rate=args.defects, on_lines=progress)
        if args.manifest is not None:
            write_manifest(
                build_manifest(dataset, report, args.customers, args.defects), args.manifest
            )
    except (ValueError, OSError) as error:
        print(f"generate-loans: error: {error}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(
        f"wrote {report.rows_written} rows ({report.clean_rows} clean, {len(report.defects)} "
        f"injected defects) to {report.path} in {elapsed:.1f}s; sha256 {report.sha256}",
        file=sys.stderr,
    )
    if args.profile:
        print(format_profile(profile_dataset(dataset)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
