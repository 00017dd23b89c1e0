"""Training/serving skew: recompute sampled served rows with the feature pipeline and compare.

The feature pipeline is another service, so it is never imported: ``PipelineCommandRecompute``
runs its console command (``feature-pipeline run ... --as-of T``) once per distinct served as_of
into a throwaway SQLite online store and reads ``customer_features`` (contract 3) back.
``StoreRecompute`` reads an already-materialised store instead (one URL per as_of), which is how
fast tests and a deployment that keeps per-date snapshots plug in.
"""

from __future__ import annotations

import math
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import bindparam, create_engine, text

from risk_monitoring.config import MonitorSettings
from risk_monitoring.errors import InputError
from risk_monitoring.logs import LogAggregator, SampledRequest
from risk_monitoring.results import ALERT, OK, SKIPPED, WARN, CheckResult
from risk_monitoring.sources import redacted

STORE_COLUMNS = (
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
)


class RecomputeSource(Protocol):
    def features_as_of(self, as_of: str, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Features of ``customer_ids`` as the pipeline computes them for ``as_of``."""
        ...


def read_store(
    store_url: str, customer_ids: Iterable[int], as_of: str | None = None
) -> dict[int, dict[str, Any]]:
    """Rows of ``customer_features`` for the ids (only those materialised as of ``as_of``)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    statement = text(
        "SELECT id, as_of, nb_previous_loans, avg_amount_loans_previous, age, years_on_the_job,"
        " flag_own_car FROM customer_features WHERE id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(statement, {"ids": ids}).mappings().all()
    except Exception as error:  # any driver error means no comparison is possible
        raise InputError(
            f"cannot read customer_features from {redacted(store_url)}: {error}"
        ) from error
    finally:
        engine.dispose()
    result = {}
    for row in rows:
        if as_of is not None and str(row["as_of"])[:10] != as_of:
            continue
        result[int(row["id"])] = {name: row[name] for name in STORE_COLUMNS}
    return result


class StoreRecompute:
    """Features from stores already materialised per as_of (``{as_of: url}``, or one url)."""

    def __init__(self, stores: Mapping[str, str] | str) -> None:
        self.stores = stores

    def features_as_of(self, as_of: str, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
        if isinstance(self.stores, str):
            return read_store(self.stores, customer_ids, as_of)
        url = self.stores.get(as_of)
        if url is None:
            raise InputError(f"no recomputed feature store for as_of {as_of}")
        return read_store(url, customer_ids, as_of)


class PipelineCommandRecompute:
    """Runs the feature pipeline's own console command for each as_of (Spark; slow)."""

    def __init__(
        self,
        raw_csv: str,
        command: str = "feature-pipeline",
        workdir: str | None = None,
        timeout_seconds: float = 1800,
    ) -> None:
        self.raw_csv = raw_csv
        self.command = resolve_command(command)
        self.workdir = workdir
        self.timeout_seconds = timeout_seconds
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._stores: dict[str, str] = {}

    def features_as_of(self, as_of: str, customer_ids: list[int]) -> dict[int, dict[str, Any]]:
        store_url = self._stores.get(as_of)
        if store_url is None:
            store_url = self._materialise(as_of)
            self._stores[as_of] = store_url
        return read_store(store_url, customer_ids, as_of)

    def _materialise(self, as_of: str) -> str:
        """One pipeline run per as_of; the store is kept (in a temp dir) for later look-ups."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="skew-recompute-", dir=self.workdir)
        target = Path(self._tmp.name) / as_of
        target.mkdir()
        store_url = f"sqlite:///{target / 'fs.db'}"
        arguments = [
            *self.command,
            "run",
            "--input",
            self.raw_csv,
            "--output",
            str(target / "out"),
            "--online-store",
            store_url,
            "--as-of",
            as_of,
        ]
        try:
            completed = subprocess.run(
                arguments,
                capture_output=True,
                text=True,
                timeout=self.timeout_seconds,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise InputError(f"feature pipeline could not run: {error}") from error
        if completed.returncode != 0:
            raise InputError(
                f"feature pipeline exited {completed.returncode} for as_of {as_of}: "
                f"{completed.stderr[-2000:]}"
            )
        return store_url

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._stores.clear()


def resolve_command(command: str) -> list[str]:
    """Split ``command``; a bare program name is looked up on PATH, then next to this Python
    (the virtualenv's bin/, which is not on PATH when the venv's tools are run by full path)."""
    arguments = shlex.split(command)
    if not arguments:
        raise InputError("empty feature pipeline command")
    program = arguments[0]
    found = shutil.which(program) or shutil.which(program, path=str(Path(sys.executable).parent))
    if found is None:
        raise InputError(f"feature pipeline command not found: {program}")
    return [found, *arguments[1:]]


def values_match(served: Any, recomputed: Any, rtol: float, atol: float) -> bool:
    if served is None or recomputed is None:
        return served is None and recomputed is None
    try:
        a, b = float(served), float(recomputed)
    except (TypeError, ValueError):
        return False
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= atol + rtol * abs(b)


def _choose_as_of_groups(
    sample: list[SampledRequest], limit: int
) -> tuple[dict[str, list[SampledRequest]], int]:
    counts = Counter(request.as_of for request in sample)
    chosen = {as_of for as_of, _ in counts.most_common(limit)}
    groups: dict[str, list[SampledRequest]] = {}
    for request in sample:
        if request.as_of in chosen:
            groups.setdefault(request.as_of, []).append(request)
    left_out = sum(count for as_of, count in counts.items() if as_of not in chosen)
    return groups, left_out


def check_skew(
    aggregator: LogAggregator, source: RecomputeSource | None, settings: MonitorSettings
) -> CheckResult:
    if source is None:
        return CheckResult("skew", SKIPPED, "no recompute source configured")
    if not aggregator.sample:
        return CheckResult("skew", SKIPPED, "no served requests to sample")
    groups, left_out = _choose_as_of_groups(aggregator.sample, settings.skew_max_as_of_dates)
    names = aggregator.feature_names
    mismatches = dict.fromkeys(names, 0)
    compared = mismatched_rows = missing = bad_ids = 0
    examples: list[dict[str, Any]] = []
    for as_of in sorted(groups):
        requests = groups[as_of]
        ids: list[tuple[SampledRequest, int]] = []
        for request in requests:
            try:
                ids.append((request, int(request.customer_id)))
            except ValueError:
                bad_ids += 1
        recomputed = source.features_as_of(as_of, sorted({customer for _, customer in ids}))
        for request, customer in ids:
            expected = recomputed.get(customer)
            if expected is None:
                missing += 1
                continue
            compared += 1
            differing = [
                name
                for name in names
                if not values_match(
                    request.features.get(name),
                    expected.get(name),
                    settings.skew_float_rtol,
                    settings.skew_float_atol,
                )
            ]
            for name in differing:
                mismatches[name] += 1
            if differing:
                mismatched_rows += 1
                if len(examples) < 10:
                    examples.append(
                        {
                            "request_id": request.request_id,
                            "customer_id": request.customer_id,
                            "as_of": as_of,
                            "served": {n: request.features.get(n) for n in differing},
                            "recomputed": {n: expected.get(n) for n in differing},
                        }
                    )
    checked = compared + missing + bad_ids
    # A served customer the pipeline does not know is skew too (served from a wrong store).
    rate = (mismatched_rows + missing + bad_ids) / checked if checked else 0.0
    details = {
        "sampled": len(aggregator.sample),
        "as_of_dates": sorted(groups),
        "sampled_rows_not_checked_other_as_of": left_out,
        "compared": compared,
        "missing_in_recompute": missing,
        "invalid_customer_ids": bad_ids,
        "mismatched_rows": mismatched_rows,
        "mismatch_rate": rate,
        "mismatches_by_feature": mismatches,
        "examples": examples,
    }
    if checked == 0:
        return CheckResult("skew", SKIPPED, "nothing comparable", details)
    status = ALERT if rate > settings.skew_mismatch_rate_alert else (WARN if rate > 0 else OK)
    worst_features = ", ".join(f"{n}={c}" for n, c in mismatches.items() if c) or "none"
    summary = (
        f"{mismatched_rows + missing + bad_ids}/{checked} sampled rows differ "
        f"(rate {rate:.3f}); by feature: {worst_features}"
    )
    return CheckResult("skew", status, summary, details)
