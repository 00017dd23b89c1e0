"""End-to-end benchmark of `feature-pipeline run` on the full-size generated file.

Each run is a fresh process (JVM start-up included), reading the cached full-size file
(36,457 customers, ~775k rows), validating, building features, writing CSV + Parquet + the
quarantine, and loading the online store into SQLite. Reported: wall time, per-stage time (from
the run's own timings) and the peak memory (PSS) of the whole process tree (Python driver +
JVM), sampled every 50 ms with psutil. Medians over --runs runs. --scale10 / --scale30 add
one run on 10x / 30x the rows (copies of the file with shifted loan and customer ids, i.e.
10x / 30x the customers; 30x is ~23 M rows, ~4.2 GB).
Runs start from the JVM class-data-sharing archive (built first if missing, as `make setup` does);
--without-class-archive measures a machine that has none.

    python feature-pipeline/benchmarks/bench_features.py [--runs 3] [--scale10] [--scale30]
        [--without-class-archive]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
SEED = 7
AS_OF = "2021-09-17"
ID_SHIFT = 1_000_000  # larger than both id ranges' spans, so copies never collide


def _tool(name: str) -> str:
    found = shutil.which(name) or str(VENV_BIN / name)
    return found


def full_size_file(cache: Path) -> Path:
    target = cache / f"loans-full-seed{SEED}.csv"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"generating {target} (once; cached)", file=sys.stderr)
        subprocess.run(
            [_tool("generate-loans"), "--seed", str(SEED), "--out", str(target)], check=True
        )
    return target


def scaled_file(source: Path, factor: int) -> Path:
    target = source.with_name(f"{source.stem}-x{factor}.csv")
    if target.exists():
        return target
    print(f"building {target} ({factor} shifted copies; cached)", file=sys.stderr)
    temporary = target.with_suffix(".tmp")
    with source.open() as handle:
        header = handle.readline()
        body = handle.read().splitlines()
    with temporary.open("w") as out:
        out.write(header)
        for copy in range(factor):
            shift = copy * ID_SHIFT
            lines = []
            for line in body:
                loan_id, customer, rest = line.split(",", 2)
                lines.append(f"{int(loan_id) + shift},{int(customer) + shift},{rest}\n")
            out.writelines(lines)
    temporary.replace(target)
    return target


def _pss(process: psutil.Process) -> int:
    try:
        return int(process.memory_full_info().pss)
    except (AttributeError, psutil.AccessDenied):  # no PSS outside Linux
        return int(process.memory_info().rss)


def _sample_tree(process: psutil.Process, cpu_seconds: dict[int, float]) -> int:
    """Memory of the whole tree now; records each member's CPU seconds so far into cpu_seconds.

    PSS, not RSS: a process the JVM spawns (vfork) shares the JVM's pages for an instant, and
    summing RSS counted them twice (sporadic ~2.1 GB "peaks" of a ~1.2 GB tree). PSS splits
    every shared page among its sharers, so the sum is the tree's real footprint.
    """
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += _pss(member)
            times = member.cpu_times()
            cpu_seconds[member.pid] = times.user + times.system
        except psutil.Error:
            continue
    return total


def run_once(source: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-features-") as scratch:
        command = [
            _tool("feature-pipeline"), "run", "--input", str(source),
            "--output", f"{scratch}/out", "--online-store", f"sqlite:///{scratch}/online.db",
            "--as-of", AS_OF,
        ]  # fmt: skip
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        watched = psutil.Process(process.pid)
        peak = 0
        cpu_seconds: dict[int, float] = {}
        while process.poll() is None:
            peak = max(peak, _sample_tree(watched, cpu_seconds))
            time.sleep(0.05)
        wall = time.perf_counter() - started
        stdout = process.stdout.read() if process.stdout else b""
        if process.returncode != 0:
            raise RuntimeError(f"run failed with exit code {process.returncode}")
        summary = json.loads(stdout)
    return {
        "wall_seconds": round(wall, 2),
        "peak_pss_mb": round(peak / 2**20),
        # CPU of the tree (sampled, so the last <= 50 ms are missing): a figure that does not
        # depend on what else the shared machine is doing, unlike the wall time.
        "cpu_seconds": round(sum(cpu_seconds.values()), 1),
        "stages": summary["timings_seconds"],
        "rows_in": summary["rows"]["rows_in"],
    }


def _median_stages(runs: list[dict[str, Any]]) -> dict[str, float]:
    names = runs[0]["stages"].keys()
    return {name: round(statistics.median(r["stages"][name] for r in runs), 2) for name in names}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--scale10", action="store_true", help="also time one run on 10x rows")
    parser.add_argument("--scale30", action="store_true", help="also time one run on 30x rows")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--without-class-archive",
        action="store_true",
        help="start every JVM without the class-data-sharing archive (a fresh machine's first run)",
    )
    args = parser.parse_args()

    source = full_size_file(args.cache)
    if args.without_class_archive:
        os.environ["FEATURE_PIPELINE_SPARK_CLASS_DATA_SHARING"] = "false"
        archive = None
    else:
        # Built once per machine (`make run` does it too); the runs below start from it.
        built = subprocess.run(  # its errors go straight to stderr
            [_tool("feature-pipeline-jvm"), "build-class-archive"],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        archive = built.stdout.strip()
    runs = []
    for number in range(args.runs):
        load = psutil.getloadavg()[0]
        result = run_once(source)
        result["load_average_1m_before"] = round(load, 2)
        print(
            f"run {number + 1}: {result['wall_seconds']} s wall, {result['cpu_seconds']} s CPU, "
            f"peak {result['peak_pss_mb']} MB (load average before: {load:.2f})",
            file=sys.stderr,
        )
        runs.append(result)
    results: dict[str, Any] = {
        "machine": {"cpus": psutil.cpu_count(), "load_average_1m": psutil.getloadavg()[0]},
        "class_archive": archive,
        "rows_in": runs[0]["rows_in"],
        "runs": runs,
        "median_wall_seconds": statistics.median(r["wall_seconds"] for r in runs),
        "max_peak_pss_mb": max(r["peak_pss_mb"] for r in runs),
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "median_stage_seconds": _median_stages(runs),
        "targets": {"wall_seconds": 20, "peak_pss_mb": 2560, "scale10_time_ratio": 8},
    }
    for factor, wanted in ((10, args.scale10), (30, args.scale30)):
        if not wanted:
            continue
        load = psutil.getloadavg()[0]
        scaled = run_once(scaled_file(source, factor))
        results[f"scale{factor}"] = {
            **scaled,
            "load_average_1m_before": round(load, 2),
            "time_ratio": round(scaled["wall_seconds"] / results["median_wall_seconds"], 2),
        }
        print(f"x{factor}: {scaled['wall_seconds']} s wall, peak {scaled['peak_pss_mb']} MB",
              file=sys.stderr)  # fmt: skip
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
