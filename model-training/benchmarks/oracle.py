"""Benchmark-only: the loan generator's five-feature oracle, re-derived from its README.

The generator draws `status` from `seen(x) + unseen(customer) + u_c` where `unseen` and `u_c`
are independent of the five features, so ranking loans by `seen(x)` is the best any model of
the five features can do on customers it has not seen. The terms below are the README's table
("Generating model"), written out again here: benchmarks import no other project package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def seen_log_odds(rows: pd.DataFrame) -> np.ndarray:
    age = 0.60 * np.clip((40.0 - rows["age"].to_numpy(dtype=float)) / 10.0, -2.5, 2.5)
    years = rows["years_on_the_job"].to_numpy(dtype=float)
    tenure = np.where(np.isnan(years), 0.30, 1.10 * np.exp(-np.nan_to_num(years) / 3.0))
    car = -0.60 * rows["flag_own_car"].to_numpy(dtype=float)
    history = 0.90 * np.exp(-rows["nb_previous_loans"].to_numpy(dtype=float) / 4.0)
    avg = rows["avg_amount_loans_previous"].to_numpy(dtype=float)
    amount = np.where(
        np.isnan(avg),
        0.0,
        1.40 * (np.log(np.maximum(np.nan_to_num(avg, nan=100.0) - 99.0, 1.0)) - np.log(25.0)),
    )
    return np.asarray(age + tenure + car + history + amount)
