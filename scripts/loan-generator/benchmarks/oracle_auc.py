"""What ROC-AUC is "good" on this data: the oracle figures quoted in README.md.

Usage: .venv/bin/python scripts/loan-generator/benchmarks/oracle_auc.py [--customers N] [--seed S]

* five-feature oracle: ranks loans by seen(x), the generating model's part that depends on the
  five model features only. The rest of the latent risk is independent of those features, so no
  model of the five features can rank new customers better (in expectation).
* full-information oracle: ranks by the complete latent log-odds (customer effect, hidden
  attributes included): the ceiling for a model that knew everything.
* single features, and (if scikit-learn is installed) a gradient-boosting model trained on the five
  features with a customer-grouped split (what a real model reaches on new customers) and with a
  plain row-level random split (where customers leak across the split and the model can
  memorise them: it can beat the five-feature oracle, a warning sign, not an achievement).
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import numpy.typing as npt

from loan_generator import generate_loans


def roc_auc(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> float:
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    # Average ranks for ties.
    boundaries = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1], True])
    for start, end in itertools.pairwise(boundaries):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    positives = int(labels.sum())
    negatives = len(labels) - positives
    return float(
        (ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=36_457)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    data = generate_loans(args.customers, args.seed)
    y = data.risk.status
    f = data.risk.features
    print(
        f"customers {args.customers}, seed {args.seed}, rows {data.rows}, positives {int(y.sum())}"
    )
    print(f"five-feature oracle AUC:    {roc_auc(data.risk.seen, y):.4f}")
    print(f"full-information AUC:       {roc_auc(data.risk.log_odds, y):.4f}")
    for name in (
        "nb_previous_loans",
        "avg_amount_loans_previous",
        "age",
        "years_on_the_job",
        "flag_own_car",
    ):
        values = np.nan_to_num(getattr(f, name).astype(np.float64), nan=-1.0)
        auc = roc_auc(values, y)
        print(f"  single feature {name:<26} AUC {max(auc, 1 - auc):.4f}")

    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.metrics import roc_auc_score
    except ImportError:
        print("scikit-learn not installed: skipping the trained-model figures")
        return
    x = np.column_stack([
        f.nb_previous_loans, f.avg_amount_loans_previous, f.age, f.years_on_the_job, f.flag_own_car,
    ]).astype(np.float64)  # fmt: skip
    rng = np.random.default_rng(0)
    customer_in_test = rng.random(data.customers.count) < 0.3
    splits = {
        "customer-grouped split": customer_in_test[data.loans.customer],
        "row-level random split": rng.random(data.rows) < 0.3,
    }
    for label, test in splits.items():
        model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
        model.fit(x[~test], y[~test])
        auc = roc_auc_score(y[test], model.predict_proba(x[test])[:, 1])
        oracle = roc_auc(data.risk.seen[test], y[test])
        print(
            f"gradient boosting, {label}: AUC {auc:.4f} (oracle on the same test rows {oracle:.4f})"
        )


if __name__ == "__main__":
    main()
