"""Self-contained HTML report: status at a glance, then the plots a person actually looks at.

Plots are rendered with matplotlib (Agg, no display) into PNGs embedded as data URIs, so the
report is one file that can be mailed, stored in S3 or opened from a CI artifact.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from jinja2 import Environment, select_autoescape

STATUS_COLOURS = {"ok": "#2e7d32", "warn": "#ef6c00", "alert": "#c62828", "skipped": "#757575"}
REFERENCE_COLOUR, SERVED_COLOUR = "#90a4ae", "#1565c0"


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _shares(counts: list[float]) -> np.ndarray:
    values = np.asarray(counts, dtype=float)
    total = values.sum()
    return values / total if total else values


def distribution_plot(report: dict[str, Any]) -> str:
    distributions = report["distributions"]
    drift = report["checks"]["drift"]["details"].get("features", {})
    names = list(distributions)
    columns = 3
    rows = -(-len(names) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(15, 3.9 * rows), squeeze=False)
    for axis in axes.flat[len(names) :]:
        axis.set_visible(False)
    for axis, name in zip(axes.flat, names, strict=False):
        d = distributions[name]
        reference, served = _shares(d["reference_counts"]), _shares(d["served_counts"])
        # Buckets empty on both sides (e.g. "unseen" of a categorical feature) are not drawn.
        shown = (reference > 0) | (served > 0)
        x = np.arange(int(shown.sum()))
        axis.bar(x - 0.2, reference[shown], 0.4, label="reference", color=REFERENCE_COLOUR)
        axis.bar(x + 0.2, served[shown], 0.4, label="served", color=SERVED_COLOUR)
        labels = np.array(d["buckets"])[shown]
        axis.set_xticks(x, labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
        verdict = drift.get(name, {})
        status = verdict.get("status", "skipped")
        title = name if verdict.get("psi") is None else f"{name} — PSI {verdict['psi']:.3f}"
        axis.set_title(
            f"{title} ({status})", color=STATUS_COLOURS.get(status, "black"), fontsize=11
        )
        axis.set_ylabel("share of rows")
    axes[0][0].legend(fontsize=9)
    figure.suptitle("Served values against the serving population of the training run")
    figure.tight_layout()
    return _png(figure)


def psi_over_time_plot(report: dict[str, Any]) -> str | None:
    details = report["checks"]["drift"]["details"]
    windows = details.get("windows", [])
    if not windows or not details.get("features"):
        return None
    figure, axis = plt.subplots(figsize=(11, 3.8))
    x = np.arange(len(windows))
    for name, verdict in details["features"].items():
        values = [np.nan if w is None else w["psi"] for w in verdict["by_window"]]
        axis.plot(x[: len(values)], values, marker="o", markersize=3, label=name)
        drifted = [i for i, w in enumerate(verdict["by_window"]) if w and w["drifted"]]
        axis.scatter(drifted, [values[i] for i in drifted], color=STATUS_COLOURS["alert"], zorder=3)
    axis.axhline(details["min_psi"], color=STATUS_COLOURS["warn"], linestyle="--", lw=1)
    step = max(1, len(windows) // 12)
    axis.set_xticks(
        x[::step], windows[::step], rotation=30, ha="right", rotation_mode="anchor", fontsize=8
    )
    axis.set_ylabel("PSI")
    axis.set_title("PSI per feature per window (dashed: smallest PSI that alerts; red: drifted)")
    axis.legend(fontsize=8, ncol=3)
    return _png(figure)


def traffic_plot(report: dict[str, Any]) -> str | None:
    windows = report["windows"]
    if not windows["keys"]:
        return None
    x = np.arange(len(windows["keys"]))
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    left.bar(x, windows["rows"], color=SERVED_COLOUR)
    left.set_title("Requests per window")
    rates = [np.nan if v is None else v for v in windows["predicted_positive_rate"]]
    means = [np.nan if v is None else v for v in windows["mean_probability"]]
    right.plot(x, rates, marker="o", markersize=3, label="predicted positive rate")
    right.plot(x, means, marker="o", markersize=3, label="mean probability")
    if report["model"]["positive_rate"] is not None:
        right.axhline(
            report["model"]["positive_rate"],
            color="grey",
            ls="--",
            lw=1,
            label="training positive rate",
        )
    right.set_title("Predictions per window")
    right.legend(fontsize=8)
    step = max(1, len(x) // 8)
    for axis in (left, right):
        axis.set_xticks(
            x[::step],
            windows["keys"][::step],
            rotation=30,
            ha="right",
            rotation_mode="anchor",
            fontsize=8,
        )
    return _png(figure)


def quality_plot(report: dict[str, Any]) -> str | None:
    details = report["checks"]["quality"]["details"]
    by_window = details.get("by_window")
    if not by_window:
        return None
    keys = list(by_window)
    x = np.arange(len(keys))

    def series(field: str) -> list[float]:
        return [np.nan if by_window[k][field] is None else by_window[k][field] for k in keys]

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    left.plot(x, series("roc_auc"), marker="o", label="ROC-AUC")
    left.plot(x, series("ece"), marker="s", label="ECE")
    left.axhline(details.get("roc_auc_floor", 0.5), color=STATUS_COLOURS["alert"], ls="--", lw=1)
    left.set_ylim(0, 1)
    left.set_title("Quality on labelled predictions")
    left.legend(fontsize=8)
    right.plot(x, series("observed_positive_rate"), marker="o", label="observed positive rate")
    right.plot(x, series("mean_probability"), marker="s", label="mean predicted probability")
    right.set_title("Calibration-in-the-large")
    right.legend(fontsize=8)
    step = max(1, len(x) // 8)
    for axis in (left, right):
        axis.set_xticks(
            x[::step], keys[::step], rotation=30, ha="right", rotation_mode="anchor", fontsize=8
        )
    return _png(figure)


def latency_plot(report: dict[str, Any]) -> str | None:
    details = report["checks"]["latency"]["details"]
    versions = details.get("versions")
    if not versions:
        return None
    names = list(versions)
    x = np.arange(len(names))
    figure, axis = plt.subplots(figsize=(6, 3.2))
    for offset, percentile in zip((-0.25, 0, 0.25), ("p50", "p95", "p99"), strict=True):
        axis.bar(x + offset, [versions[v][percentile] for v in names], 0.25, label=percentile)
    for percentile, limit in details["limits_ms"].items():
        axis.axhline(limit, ls="--", lw=0.8, color="grey")
        axis.annotate(f"{percentile} limit", (len(names) - 0.5, limit), fontsize=7)
    axis.set_xticks(x, [f"v{v}" for v in names])
    axis.set_ylabel("ms")
    axis.set_title("Latency per model version")
    axis.legend(fontsize=8)
    return _png(figure)


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Credit-risk monitoring — {{ report.model.model_name }}
 v{{ report.model.model_version }}</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1400px; }
 .banner { padding: 14px 18px; border-radius: 6px; color: white; font-size: 20px; }
 table { border-collapse: collapse; margin: 12px 0; }
 td, th { padding: 6px 10px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
 .badge { color: white; border-radius: 4px; padding: 2px 8px; font-weight: bold; font-size: 12px; }
 img { max-width: 100%; margin: 8px 0 18px 0; }
 .muted { color: #666; font-size: 13px; }
</style></head><body>
<div class="banner" style="background: {{ colours[report.status] }}">
 {{ report.status | upper }} — {{ report.model.model_name }} v{{ report.model.model_version }}
 {% if report.alerts %}: alerts in {{ report.alerts | join(", ") }}{% endif %}
</div>
<p class="muted">Run at {{ report.now }} · {{ "{:,}".format(report.input.predictions_accepted) }}
 predictions · {{ "{:,}".format(report.input.lines_skipped) }} other lines skipped ·
 {{ report.input.predictions_rejected }} malformed predictions ·
 exit code {{ report.exit_code }}</p>
<table>
<tr><th>check</th><th>status</th><th>finding</th></tr>
{% for name, check in report.checks.items() %}
<tr><td>{{ name }}</td>
<td><span class="badge" style="background: {{ colours[check.status] }}">
 {{ check.status }}</span></td>
<td>{{ check.summary }}</td></tr>
{% endfor %}
</table>
{% for title, image in plots %}{% if image %}
<h3>{{ title }}</h3><img alt="{{ title }}" src="{{ image }}">
{% endif %}{% endfor %}
<p class="muted">Inputs: {{ report.input.log_files | length }} log file(s), logs {{
 report.input.logs_fingerprint[:19] }}…, metadata {{ report.input.metadata_fingerprint[:19] }}….
 Full details in the JSON report.</p>
</body></html>
"""


def render_html(report: dict[str, Any]) -> str:
    plots = [
        ("Distributions against the training reference", distribution_plot(report)),
        ("Drift over time", psi_over_time_plot(report)),
        ("Traffic and predictions over time", traffic_plot(report)),
        ("Prediction quality over time (delayed labels)", quality_plot(report)),
        ("Latency", latency_plot(report)),
    ]
    environment = Environment(autoescape=select_autoescape(default=True))
    template = environment.from_string(_TEMPLATE)
    return template.render(report=report, plots=plots, colours=STATUS_COLOURS)
