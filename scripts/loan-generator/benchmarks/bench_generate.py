"""Time `generate-loans` at full size (the real file's 36,457 customers): median of N runs.

Usage: .venv/bin/python scripts/loan-generator/benchmarks/bench_generate.py [--runs 3]
Runs the installed console command end to end (process start, generation, CSV write, sha256),
then times the two in-process stages once for a breakdown.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loan_generator import generate_loans, write_csv


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--customers", type=int, default=36_457)
    args = parser.parse_args()
    command = Path(sys.executable).with_name("generate-loans")
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "loans.csv"
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(
                [str(command), "--customers", str(args.customers), "--out", str(out)],
                check=True,
                capture_output=True,
            )
            timings.append(time.perf_counter() - started)
        size = out.stat().st_size
        rows = out.read_bytes().count(b"\n") - 1

        started = time.perf_counter()
        dataset = generate_loans(args.customers)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        write_csv(dataset, Path(directory) / "again.csv")
        written = time.perf_counter() - started

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} (shared machine)"
    )
    print(f"customers {args.customers}, rows {rows}, {size:,} bytes")
    print("end-to-end runs (s): " + ", ".join(f"{t:.2f}" for t in timings))
    print(f"median end-to-end: {statistics.median(timings):.2f} s")
    print(f"in-process: generate {generated:.2f} s, write csv {written:.2f} s")


if __name__ == "__main__":
    main()
