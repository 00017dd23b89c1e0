"""Benchmark: one day of prediction logs at 100 requests/s (8.64 million lines) through the job.

Generates the log file once (cached under --cache-dir, keyed by its parameters) plus a matching
metadata.json, then runs ``risk-monitor run`` in a fresh subprocess --runs times and reports the
median wall time, throughput and the child's peak RSS (ru_maxrss of the finished child).

    python benchmarks/bench_monitor.py                  # full day, 3 runs
    python benchmarks/bench_monitor.py --lines 500000   # quick look
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import hmac
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

NAMES = [
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
]
DTYPES = ["int", "float", "int", "int", "int"]
KINDS = ["numeric", "numeric", "numeric", "numeric", "categorical"]
CUSTOMERS = 36_457
# Bump when the log line or metadata format changes: cached inputs of another format are stale.
FORMAT = "v2"
DAY = datetime(2026, 11, 25, tzinfo=UTC)
CHUNK = 100_000


def draw(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    nb = rng.poisson(10, n).astype(float)
    avg = rng.lognormal(math.log(120), 0.2, n)
    avg[nb == 0] = np.nan
    age = rng.integers(21, 70, n).astype(float)
    years = np.minimum(rng.geometric(0.15, n) - 1, 40).astype(float)
    years[rng.random(n) < 0.17] = np.nan
    car = (rng.random(n) < 0.4).astype(float)
    return [nb, avg, age, years, car]


def write_metadata(path: Path, seed: int) -> None:
    columns = draw(np.random.default_rng(seed), 200_000)
    statistics_: dict[str, object] = {}
    for name, kind, values in zip(NAMES, KINDS, columns, strict=True):
        present = values[~np.isnan(values)]
        nulls = int(np.isnan(values).sum())
        if kind == "categorical":
            found, counts = np.unique(present, return_counts=True)
            by_value = {str(int(v)): int(c) for v, c in zip(found, counts, strict=True)}
            statistics_[name] = {"kind": kind, "counts": by_value, "null_count": nulls}
            continue
        edges = np.unique(np.quantile(present, np.linspace(0, 1, 11)))
        statistics_[name] = {
            "kind": kind,
            "bin_edges": edges.tolist(),
            "counts": np.histogram(present, edges)[0].tolist(),
            "null_count": nulls,
        }
    document = {
        "schema_version": 2,
        "model_name": "credit-risk",
        "model_version": "3",
        "run_id": "bench",
        "created_at": (DAY - timedelta(days=5)).isoformat(),
        "features": [
            {"name": n, "dtype": d, "kind": k} for n, d, k in zip(NAMES, DTYPES, KINDS, strict=True)
        ],
        "onnx_input_name": "features",
        "onnx_probability_output": "probabilities",
        "threshold": 0.5,
        "training_data_fingerprint": "bench",
        "positive_rate": 0.02,
        "reference_statistics": statistics_,
        "baseline_values": dict.fromkeys(NAMES, 0.0),
        "metrics": {"roc_auc": 0.75},
    }
    path.write_text(json.dumps(document))


def _value(value: float, dtype: str) -> str:
    if value != value:
        return "null"
    return str(int(value)) if dtype == "int" else repr(round(value, 4))


def write_logs(path: Path, lines: int, seed: int) -> None:
    """Prediction lines 1/rate s apart over the day, 0.1 % other log lines mixed in."""
    rng = np.random.default_rng(seed)
    key = b"bench-customer-ref-key-0123456789abcdef"
    refs = [
        hmac.new(key, str(5008804 + i).encode(), hashlib.sha256).hexdigest()[:32]
        for i in range(CUSTOMERS)
    ]
    spacing = 86_400 / lines
    partial = path.with_name(path.name + ".partial")
    with gzip.open(partial, "wt", encoding="utf-8", compresslevel=1) as out:
        for start in range(0, lines, CHUNK):
            n = min(CHUNK, lines - start)
            columns = draw(rng, n)
            probability = 1 / (1 + np.exp(1.0 + 0.08 * (np.nan_to_num(columns[0]) - 10)))
            latency = rng.lognormal(math.log(12), 0.4, n)
            versions = np.where(rng.random(n) < 0.1, "4", "3")
            buffer = []
            for i in range(n):
                second = (start + i) * spacing
                stamp = (DAY + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.%f")
                features = ", ".join(
                    f'"{name}": {_value(columns[j][i], DTYPES[j])}' for j, name in enumerate(NAMES)
                )
                buffer.append(
                    f'{{"event": "prediction", "timestamp": "{stamp}Z", '
                    f'"request_id": "r{start + i}", '
                    f'"customer_ref": "{refs[(start + i) % CUSTOMERS]}", '
                    f'"store_run_id": "20261124T030000Z", '
                    f'"model_version": "{versions[i]}", "as_of": "2026-11-24", '
                    f'"features": {{{features}}}, "probability": {probability[i]:.6f}, '
                    f'"prediction": {int(probability[i] >= 0.5)}, "threshold": 0.5, '
                    f'"latency_ms": {latency[i]:.3f}}}\n'
                )
                if (start + i) % 1000 == 999:
                    buffer.append('INFO:     10.0.0.1:5000 - "GET /health HTTP/1.1" 200 OK\n')
            out.writelines(buffer)
    partial.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=8_640_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "risk-monitor-bench",
    )
    args = parser.parse_args()

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    logs = args.cache_dir / f"predictions-{FORMAT}-{args.lines}-seed{args.seed}.log.gz"
    metadata = args.cache_dir / f"metadata-{FORMAT}-seed{args.seed}.json"
    if not metadata.exists():
        write_metadata(metadata, args.seed)
    if not logs.exists():
        started = time.perf_counter()
        write_logs(logs, args.lines, args.seed)
        print(f"generated {logs} in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    command = [
        str(Path(sys.executable).parent / "risk-monitor"),
        "run",
        "--logs",
        str(logs),
        "--metadata",
        str(metadata),
        "--now",
        "2026-11-26T00:30:00+00:00",
        "--report-json",
        str(args.cache_dir / "report.json"),
        "--no-emf",
    ]
    timings, cpu_times, peaks = [], [], []
    for run in range(args.runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU seconds of this child: on a shared machine closer to the uncontended wall time.
        cpu_times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        # ru_maxrss of children is the maximum over every child waited for so far, so this is an
        # upper bound of this run's peak (all runs do the same work).
        peak_kib = after.ru_maxrss
        if completed.returncode not in (0, 6, 7, 8, 9):
            sys.exit(f"monitor failed ({completed.returncode}): {completed.stderr[-2000:]}")
        timings.append(elapsed)
        peaks.append(peak_kib / 1024)
        print(
            f"run {run + 1}: {elapsed:.1f} s, peak RSS <= {peak_kib / 1024:.0f} MiB",
            file=sys.stderr,
        )
    report = json.loads((args.cache_dir / "report.json").read_text())
    median = statistics.median(timings)
    result = {
        "lines": report["input"]["lines_total"],
        "predictions": report["input"]["predictions_accepted"],
        "log_file_bytes": logs.stat().st_size,
        "runs": args.runs,
        "median_seconds": round(median, 1),
        "min_seconds": round(min(timings), 1),
        "median_cpu_seconds": round(statistics.median(cpu_times), 1),
        "lines_per_second": round(report["input"]["lines_total"] / median),
        "peak_rss_mib": round(max(peaks)),
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
