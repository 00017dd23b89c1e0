"""False-alarm and detection rates of the drift check on replayed production-like windows.

The population is the online store the platform builds: ``generate-loans`` (36 457 customers,
seed 42) through ``feature-pipeline run`` as of 2021-01-01, as ``make run`` does (cached under
--cache-dir; ``--store URL`` uses an existing store instead). The bundle's reference statistics
are built from the store's rows the way docs/contracts/serving-bundle.md states. A window is n
requests of customers drawn uniformly, with replacement, from the store, logged as the
inference service logs them, and run through the job's own aggregation and checks.

- false alarms: windows without drift that raise a drift alert (and, separately, any alert of
  the drift or invariants checks), with a 95 % Clopper-Pearson upper bound;
- detection: windows with a stated shift whose drift alert names the shifted feature.

    python risk-monitoring/benchmarks/bench_drift.py            # ~4 min on 2 idle cores
    python risk-monitoring/benchmarks/bench_drift.py --windows 200 --shift-windows 50
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import beta
from sqlalchemy import create_engine, text

from risk_monitoring.aggregation.aggregator import LogAggregator
from risk_monitoring.checks.drift import check_drift
from risk_monitoring.checks.invariants import check_invariants
from risk_monitoring.config import MonitorSettings
from risk_monitoring.io.metadata import parse_metadata

NAMES = (
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
)
KINDS = {name: "categorical" if name == "flag_own_car" else "numeric" for name in NAMES}
DTYPES = {name: "float" if name == "avg_amount_loans_previous" else "int" for name in NAMES}
SIZES = (100, 1_000, 10_000)
Shift = Callable[[dict[str, np.ndarray], np.random.Generator], None]


def build_store(cache: Path, customers: int, seed: int) -> str:
    store = cache / f"store-{customers}-seed{seed}.db"
    if store.exists():
        return f"sqlite:///{store}"
    binaries = Path(sys.executable).parent
    raw = cache / f"loans-{customers}-seed{seed}.csv"
    subprocess.run(
        [
            binaries / "generate-loans",
            "--customers",
            str(customers),
            "--seed",
            str(seed),
            "--out",
            raw,
        ],
        check=True,
    )
    partial = store.with_suffix(".partial.db")
    partial.unlink(missing_ok=True)
    subprocess.run(
        [
            binaries / "feature-pipeline",
            "run",
            "--input",
            raw,
            "--output",
            cache / "lake",
            "--online-store",
            f"sqlite:///{partial}",
            "--as-of",
            "2021-01-01",
        ],
        check=True,
    )
    partial.replace(store)
    return f"sqlite:///{store}"


def read_population(store_url: str) -> dict[str, np.ndarray]:
    engine = create_engine(store_url)
    with engine.connect() as connection:
        query = f"SELECT {', '.join(NAMES)} FROM customer_features"  # noqa: S608 - constant names
        rows = connection.execute(text(query))
        columns = list(zip(*rows, strict=True))
    engine.dispose()
    return {
        name: np.array([np.nan if v is None else float(v) for v in values])
        for name, values in zip(NAMES, columns, strict=True)
    }


def metadata(population: dict[str, np.ndarray]) -> dict[str, Any]:
    """Reference statistics of the serving population, as the contract states them."""
    statistics: dict[str, Any] = {}
    for name in NAMES:
        values = population[name]
        present = values[~np.isnan(values)]
        nulls = int(np.isnan(values).sum())
        if KINDS[name] == "categorical":
            found, counts = np.unique(present, return_counts=True)
            by_value = {str(int(v)): int(c) for v, c in zip(found, counts, strict=True)}
            statistics[name] = {"kind": "categorical", "counts": by_value, "null_count": nulls}
        else:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, 11)))
            statistics[name] = {
                "kind": "numeric",
                "bin_edges": edges.tolist(),
                "counts": np.histogram(present, edges)[0].tolist(),
                "null_count": nulls,
            }
    return {
        "schema_version": 2,
        "model_name": "credit-risk",
        "model_version": "1",
        "created_at": "2021-01-02T00:00:00+00:00",
        "threshold": 0.5,
        "features": [{"name": n, "dtype": DTYPES[n], "kind": KINDS[n]} for n in NAMES],
        "reference_statistics": statistics,
    }


def log_lines(window: dict[str, np.ndarray]) -> list[str]:
    """The window's prediction lines in the inference service's format (one hour of traffic)."""
    lines = []
    for i in range(len(window[NAMES[0]])):
        features = {}
        for name in NAMES:
            value = float(window[name][i])
            features[name] = (
                None if math.isnan(value) else (value if DTYPES[name] == "float" else int(value))
            )
        lines.append(
            json.dumps(
                {
                    "event": "prediction",
                    "timestamp": "2021-01-05T10:00:00.000000+00:00",
                    "request_id": f"r{i}",
                    "customer_ref": f"{i:032x}",
                    "store_run_id": "bench",
                    "model_version": "1",
                    "as_of": "2021-01-05",
                    "features": features,
                    "probability": 0.02,
                    "prediction": 0,
                    "threshold": 0.5,
                    "latency_ms": 8.0,
                }
            )
        )
    return lines


def judge(reference: Any, lines: list[str], settings: MonitorSettings) -> tuple:
    aggregator = LogAggregator(reference, sample_size=0)
    aggregator.consume(lines)
    drift = check_drift(aggregator, settings)
    invariants = check_invariants(aggregator, settings)
    return drift.details.get("drifted_features", []), invariants.status == "alert"


def more_owners(points: float) -> Shift:
    """Car owners' share up by ``points``: that many non-owners become owners."""

    def shift(window: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        car = window["flag_own_car"]
        flip = rng.choice(np.flatnonzero(car == 0), size=round(points * len(car)), replace=False)
        car[flip] = 1.0

    return shift


def older(years: float) -> Shift:
    def shift(window: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        window["age"] += years

    return shift


def more_job_nulls(points: float) -> Shift:
    """Null share of years_on_the_job up by ``points`` (a source field going missing)."""

    def shift(window: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        years = window["years_on_the_job"]
        present = np.flatnonzero(~np.isnan(years))
        years[rng.choice(present, size=round(points * len(years)), replace=False)] = np.nan

    return shift


# The stated shifts; "age +3 years" is one below the PSI floor, to show where it lies.
SHIFTS: dict[str, tuple[str, Shift]] = {
    "flag_own_car share +20 points": ("flag_own_car", more_owners(0.20)),
    "age +4 years": ("age", older(4.0)),
    "years_on_the_job nulls +15 points": ("years_on_the_job", more_job_nulls(0.15)),
    "age +3 years": ("age", older(3.0)),
}


def upper_bound(events: int, trials: int) -> float:
    return 1.0 if events == trials else float(beta.ppf(0.975, events + 1, trials - events))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=4000, help="no-drift windows per size")
    parser.add_argument(
        "--lines-budget", type=int, default=10_000_000, help="caps windows x n per size"
    )
    parser.add_argument("--shift-windows", type=int, default=100, help="windows per shift and size")
    parser.add_argument("--store", help="use this store's customer_features instead")
    parser.add_argument("--customers", type=int, default=36_457)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "risk-monitor-drift"
    )
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    population = read_population(
        args.store or build_store(args.cache_dir, args.customers, args.seed)
    )
    reference = parse_metadata(metadata(population))
    settings = MonitorSettings()
    rng = np.random.default_rng(args.seed)
    customers = len(population[NAMES[0]])
    started = time.perf_counter()
    results: dict[str, Any] = {
        "customers": customers,
        "settings": {"drift_alpha": settings.drift_alpha, "drift_min_psi": settings.drift_min_psi},
    }
    # Every customer's line once; a window without drift picks lines, a shifted one is rebuilt.
    lines = log_lines(population)
    for n in SIZES:
        drift_alarms = any_alarms = 0
        windows = min(args.windows, args.lines_budget // n)
        for _ in range(windows):
            window = [lines[i] for i in rng.integers(0, customers, n)]
            drifted, invariant_alert = judge(reference, window, settings)
            drift_alarms += bool(drifted)
            any_alarms += bool(drifted) or invariant_alert
        row: dict[str, Any] = {
            "windows": windows,
            "drift_false_alarms": drift_alarms,
            "drift_false_alarm_rate": drift_alarms / windows,
            "drift_false_alarm_rate_95_upper": upper_bound(drift_alarms, windows),
            "drift_or_invariant_false_alarms": any_alarms,
        }
        for label, (feature, shift) in SHIFTS.items():
            detected = 0
            for _ in range(args.shift_windows):
                rows = rng.integers(0, customers, n)
                columns = {name: values[rows].copy() for name, values in population.items()}
                shift(columns, rng)
                detected += feature in judge(reference, log_lines(columns), settings)[0]
            row[f"detected: {label}"] = detected / args.shift_windows
        results[f"n={n}"] = row
        print(f"n={n}: {json.dumps(row)}", file=sys.stderr)
    results["seconds"] = round(time.perf_counter() - started)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
