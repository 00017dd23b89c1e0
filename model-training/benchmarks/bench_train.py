"""Benchmark: `model-training train` end to end on a full-size training set (search included),
and the chosen model against the generator's oracle on the same test rows.

    python model-training/benchmarks/bench_train.py [--runs 3] [--data PATH --reference PATH]

Without --data, a full-size raw file is generated once with `generate-loans` (seed 42, 36,457
customers, ~777,600 loans) and turned into training rows and online rows (one per customer as
of 2021-01-01) by `training_rows.py` (an independent pandas implementation), cached under
<repo>/var/bench/. Data preparation is not timed: it is the feature pipeline's job.

Each run is a fresh `model-training train` process against a fresh local MLflow store (start-up,
loading, search, final fits, evaluation, MLflow logging, registration, model card). Reported:
median / min / max wall seconds, the phases of the median run, its test metrics with intervals,
and (from the run's evaluation/test_scores.parquet) the oracle ROC-AUC on the same test rows
with the paired customer-bootstrap interval of model minus oracle. Budget: 180 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow import MlflowClient
from oracle import seen_log_odds
from sklearn.metrics import roc_auc_score

from model_training.bootstrap import paired_auc_difference

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BUDGET_SECONDS = 180.0
REPORTED = ("n", "positive_rate", "roc_auc", "pr_auc", "ks", "brier", "ece", "threshold",
            "precision", "recall", "flagged_rate")  # fmt: skip


def prepare_data(cache: Path) -> tuple[Path, Path, Path]:
    cache.mkdir(parents=True, exist_ok=True)
    raw, training, online = (
        cache / "loans.csv",
        cache / "training.parquet",
        cache / "online.parquet",
    )
    if not raw.exists():
        print(f"generating {raw} ...", file=sys.stderr)
        subprocess.run([str(BIN / "generate-loans"), "--out", str(raw)], check=True)
    if not online.exists() or online.stat().st_mtime < raw.stat().st_mtime:
        print(f"building training and online rows under {cache} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("training_rows.py")), "--raw",
             str(raw), "--out", str(training), "--online", str(online)],
            check=True,
        )  # fmt: skip
    return training, raw, online


def oracle_gap(home: str, run_id: str, data: Path) -> dict[str, Any]:
    uri = f"sqlite:///{home}/mlflow.db"
    client = MlflowClient(uri, uri)
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(run_id, "evaluation/test_scores.parquet", tmp)
        scored = pd.read_parquet(path)
    rows = pd.read_parquet(data).set_index("loan_id").loc[scored["loan_id"]]
    oracle = seen_log_odds(rows)
    y = scored["status"].to_numpy()
    gap = paired_auc_difference(
        y, scored["score"].to_numpy(), oracle, scored["id"].to_numpy(), 1000, 0.95, seed=0
    )
    return {
        "test_rows": len(scored),
        "model_roc_auc": float(roc_auc_score(y, scored["score"])),
        "oracle_roc_auc": float(roc_auc_score(y, oracle)),
        "model_minus_oracle": gap.difference,
        "model_minus_oracle_95": [gap.low, gap.high],
    }


def one_run(data: Path, raw: Path | None, reference: Path | None) -> tuple[float, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-train-") as home:
        command = [str(BIN / "model-training"), "train", "--data", str(data)]
        command += ["--raw", str(raw)] if raw else []
        command += ["--reference", str(reference)] if reference else []
        env = {**os.environ, "MODEL_TRAINING_HOME": home}
        env.pop("MLFLOW_TRACKING_URI", None)
        env.pop("MODEL_TRAINING_TRACKING_URI", None)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode not in (0, 1):  # 1 = gate failed, still a timed run
            sys.stderr.write(done.stderr)
            raise SystemExit(f"train exited with {done.returncode}")
        result: dict[str, Any] = json.loads(done.stdout)
        if data.suffix == ".parquet":
            result["oracle"] = oracle_gap(home, result["run_id"], data)
    return wall, result


def report(
    runs: list[tuple[float, dict[str, Any]]], load_before: tuple[float, ...]
) -> dict[str, Any]:
    walls = sorted(w for w, _ in runs)
    median_wall = statistics.median(walls)
    median_run = min(runs, key=lambda r: abs(r[0] - median_wall))[1]
    metrics = median_run["metrics"]
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "runs": len(runs),
        "wall_seconds": {"median": median_wall, "min": walls[0], "max": walls[-1]},
        "budget_seconds": BUDGET_SECONDS,
        "within_budget": median_wall <= BUDGET_SECONDS,
        "phases_of_median_run": median_run["timings"],
        "final_fit": median_run["final_fit"],
        "chosen_candidate": median_run["candidate"],
        "candidate_validation_roc_auc": median_run["candidate_validation_roc_auc"],
        "gate_passed": median_run["gate_passed"],
        "gate_reasons": median_run["gate_reasons"],
        "test": {k: metrics[k] for k in REPORTED},
        "test_intervals_95": median_run["test_intervals"],
        "baseline_test_roc_auc": median_run["baseline_metrics"]["roc_auc"],
        "oracle_same_test_rows": median_run.get("oracle"),
        "identical_metrics_across_runs": all(r["metrics"] == metrics for _, r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, help="training set (any `train --data` form)")
    parser.add_argument("--raw", type=Path, help="raw loans CSV for slice metrics")
    parser.add_argument("--reference", type=Path, help="online rows, unless --data has them")
    parser.add_argument("--cache", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()

    if args.data:
        data, raw, reference = args.data, args.raw, args.reference
    else:
        data, raw, reference = prepare_data(args.cache)
    load_before = os.getloadavg()
    runs = []
    for i in range(args.runs):
        wall, result = one_run(data, raw, reference)
        print(f"run {i + 1}/{args.runs}: {wall:.1f} s", file=sys.stderr)
        runs.append((wall, result))
    summary = report(runs, load_before)
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    if not summary["within_budget"]:
        raise SystemExit(f"median {summary['wall_seconds']['median']:.1f} s exceeds the budget")


if __name__ == "__main__":
    main()
