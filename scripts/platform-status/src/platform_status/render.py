"""The status as text for a terminal, and as plain data for `--json`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from platform_status.status import PlatformStatus


def as_dict(status: PlatformStatus) -> dict[str, Any]:
    data = asdict(status)
    data["store"]["as_of"] = None if status.store.as_of is None else status.store.as_of.isoformat()
    data["agrees"] = not status.problems
    return data


def _short(sha: str | None) -> str:
    return sha if sha else "unknown"


def as_text(status: PlatformStatus) -> str:
    store, registry = status.store, status.registry
    age = "" if status.store_age_days is None else f" ({status.store_age_days} days old)"
    lines = [
        f"store        as of {store.as_of or '-'}{age}, run {', '.join(store.run_ids) or '-'}, "
        f"{store.rows:,} rows",
    ]
    if status.lake_latest is not None:
        lines.append(
            f"lake         _LATEST run {status.lake_latest.get('run_id')} "
            f"as of {status.lake_latest.get('as_of')}"
        )
    lines.append(
        f"registry     {registry.model_name}: champion {registry.champion or '-'}, "
        f"challenger {registry.challenger or '-'} ({registry.tracking_uri})"
    )
    if status.champion_pointer is not None:
        pointer = status.champion_pointer
        lines.append(
            f"pointer      champion.json: version {pointer.get('model_version')}, "
            f"model_sha256 {pointer.get('model_sha256')}"
        )
    lines.append(f"serving      {status.serving.where}")
    for version in status.serving.versions:
        lines.append(
            f"  {version.weight:>6.1%}  model version {version.model_version or '?'}, "
            f"model_sha256 {_short(version.model_sha256)}  [{version.target}; {version.detail}]"
        )
    verdict = status.monitoring
    if verdict is not None:
        alerts = f" ({', '.join(verdict.alerts)})" if verdict.alerts else ""
        lines.append(
            f"monitoring   {verdict.status}{alerts} at {verdict.evaluated_at} "
            f"(model version {verdict.model_version or '?'}; {verdict.uri})"
        )
    else:
        lines.append("monitoring   no report")
    lines += [f"note         {note}" for note in status.notes]
    if status.problems:
        lines.append(f"DISAGREE     {len(status.problems)} problem(s):")
        lines += [f"  - {problem}" for problem in status.problems]
    else:
        lines.append("OK           store, registry, serving and monitoring agree")
    return "\n".join(lines)
