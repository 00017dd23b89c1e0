"""Staleness study: train on loans up to T, score each later month, record quality per month.

    python model-training/benchmarks/staleness.py [--cutoff 2019-12-31] [--data PATH]

Uses the full-size training rows that bench_train.py caches (var/bench/training.parquet). The
model is the default configuration's additive HistGradientBoosting and the logistic baseline,
fitted on every loan dated up to T; each following calendar month is scored as it would be by a
model left in service. Reported per month: loans, positives, ROC-AUC with a 95% customer
bootstrap interval, the oracle's ROC-AUC on the same rows (the generator's ceiling, which moves
with the month's mix), and the gap. A growing gap means the model goes stale; a stable one means
retraining cadence is set by data drift, not by age.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from oracle import seen_log_odds
from sklearn.metrics import roc_auc_score

from model_training.bootstrap import metric_intervals
from model_training.candidates import build_pipeline, fit, positive_scores
from model_training.contract import FEATURES

REPO = Path(__file__).resolve().parents[2]
MODELS = {
    "hist_gradient_boosting": {
        "max_iter": 200,
        "learning_rate": 0.1,
        "max_leaf_nodes": 8,
        "min_samples_leaf": 5000,
        "interaction_cst": "no_interactions",
        "early_stopping": False,
    },
    "logistic_regression": {"C": 0.1},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO / "var/bench/training.parquet")
    parser.add_argument("--cutoff", default="2019-12-31")
    args = parser.parse_args()
    rows = pd.read_parquet(args.data)
    rows["loan_date"] = pd.to_datetime(rows["loan_date"])
    cutoff = pd.Timestamp(args.cutoff)
    before = rows[rows["loan_date"] <= cutoff]
    after = rows[rows["loan_date"] > cutoff]
    x = before.loc[:, list(FEATURES)].astype(float)
    fitted = {
        name: fit(build_pipeline(name, params, seed=42, n_jobs=2), x, before["status"].to_numpy())
        for name, params in MODELS.items()
    }
    months = []
    for month, window in after.groupby(after["loan_date"].dt.to_period("M")):
        y = window["status"].to_numpy()
        features = window.loc[:, list(FEATURES)].astype(float)
        entry: dict[str, object] = {
            "month": str(month),
            "loans": len(window),
            "positives": int(y.sum()),
        }
        oracle = float(roc_auc_score(y, seen_log_odds(window)))
        for name, model in fitted.items():
            scores = positive_scores(model, features)
            auc = metric_intervals(y, scores, window["id"].to_numpy(), 300, 0.95, seed=0)["roc_auc"]
            entry[name] = {
                "roc_auc": auc.value,
                "ci95": [auc.low, auc.high],
                "gap_to_oracle": auc.value - oracle,
            }
        entry["oracle_roc_auc"] = oracle
        months.append(entry)
        print(json.dumps(entry), flush=True)
    gaps = [m["hist_gradient_boosting"]["gap_to_oracle"] for m in months]  # type: ignore[index]
    slope = float(np.polyfit(np.arange(len(gaps)), gaps, 1)[0]) if len(gaps) > 1 else 0.0
    print(
        json.dumps(
            {"cutoff": args.cutoff, "train_loans": len(before), "gap_trend_per_month": slope}
        )
    )


if __name__ == "__main__":
    main()
