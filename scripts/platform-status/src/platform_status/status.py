"""Read every part that says what is live, side by side, and name where they disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from platform_status import storage
from platform_status.errors import StatusError
from platform_status.monitoring import MonitoringVerdict, last_verdict
from platform_status.registry import RegistryState, read_registry
from platform_status.serving import ServingState, read_lambda_alias, read_local_bundle
from platform_status.store import StoreState, read_store


@dataclass(frozen=True)
class StatusInputs:
    store_url: str
    tracking_uri: str
    model_name: str = "credit-risk"
    store_auth: str = "password"
    bundle_dir: Path | None = None  # local serving
    function_name: str | None = None  # AWS serving (with alias)
    alias: str = "live"
    artifacts: str | None = None  # root holding bundles/<model>/champion.json
    lake: str | None = None  # feature pipeline output root (its _LATEST)
    monitoring_reports: str | None = None
    max_store_age_days: float = 2.0
    today: date = field(default_factory=date.today)


@dataclass
class PlatformStatus:
    store: StoreState
    registry: RegistryState
    serving: ServingState
    lake_latest: dict[str, object] | None = None
    champion_pointer: dict[str, object] | None = None
    monitoring: MonitoringVerdict | None = None
    store_age_days: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _serving(inputs: StatusInputs) -> ServingState:
    if inputs.function_name:
        return read_lambda_alias(inputs.function_name, inputs.alias, inputs.model_name)
    if inputs.bundle_dir is None:
        raise StatusError("say what serves: a bundle directory (local) or a function name (AWS)")
    return read_local_bundle(inputs.bundle_dir)


def collect(inputs: StatusInputs) -> PlatformStatus:
    status = PlatformStatus(
        store=read_store(inputs.store_url, inputs.store_auth),
        registry=read_registry(inputs.tracking_uri, inputs.model_name),
        serving=_serving(inputs),
    )
    if inputs.lake:
        status.lake_latest = storage.read_json(storage.join(inputs.lake, "_LATEST"))
    if inputs.artifacts:
        pointer = storage.join(inputs.artifacts, "bundles", inputs.model_name, "champion.json")
        status.champion_pointer = storage.read_json(pointer)
    if inputs.monitoring_reports:
        status.monitoring = last_verdict(inputs.monitoring_reports)
    judge(status, inputs)
    return status


def judge(status: PlatformStatus, inputs: StatusInputs) -> None:
    """Fill ``problems`` (each one makes the exit code non-zero) and ``notes``."""
    _judge_store(status, inputs)
    _judge_serving(status)
    _judge_pointer(status, inputs)
    _judge_monitoring(status)


def _judge_store(status: PlatformStatus, inputs: StatusInputs) -> None:
    store = status.store
    if store.as_of is None:
        status.problems.append("the online store is empty: nothing can be served")
        return
    status.store_age_days = (inputs.today - store.as_of).days
    if status.store_age_days > inputs.max_store_age_days:
        status.problems.append(
            f"the store is stale: as of {store.as_of}, {status.store_age_days} days before "
            f"{inputs.today}, over its limit of {inputs.max_store_age_days:g} days"
        )
    if len(store.run_ids) > 1:
        status.problems.append(
            f"the store mixes rows of several pipeline runs: {', '.join(store.run_ids)}"
        )
    latest = status.lake_latest
    if inputs.lake and latest is None:
        status.problems.append(f"the lake {inputs.lake} has no _LATEST: no published run")
    elif latest is not None and store.run_ids and latest.get("run_id") not in store.run_ids:
        status.problems.append(
            f"the store holds run {', '.join(store.run_ids)} but the lake's _LATEST names "
            f"run {latest.get('run_id')}"
        )


def _judge_serving(status: PlatformStatus) -> None:
    champion = status.registry.champion
    if champion is None:
        status.problems.append(f"the registry has no champion for {status.registry.model_name}")
        return
    stable = status.serving.stable
    if stable.mismatched_sha256:
        status.problems.append(
            f"{stable.target}: model.onnx hashes to {stable.model_sha256} but metadata.json "
            f"says {stable.mismatched_sha256}; the service refuses such a bundle"
        )
    if stable.model_version is None:
        status.problems.append(f"{stable.target} does not say which model version it serves")
    elif stable.model_version != champion:
        status.problems.append(
            f"serving model version {stable.model_version} ({stable.target}) but the "
            f"registry's champion is version {champion}"
        )
    for canary in status.serving.versions:
        if canary is stable:
            continue
        status.notes.append(
            f"canary in progress: {canary.target} takes {canary.weight:.0%} of the traffic "
            f"with model version {canary.model_version}"
        )


def _judge_pointer(status: PlatformStatus, inputs: StatusInputs) -> None:
    if not inputs.artifacts:
        return
    pointer = status.champion_pointer
    if pointer is None:
        status.problems.append(
            f"no champion.json under {inputs.artifacts}/bundles/{inputs.model_name}/"
        )
        return
    champion = status.registry.champion
    if str(pointer.get("model_version")) != champion:
        status.problems.append(
            f"champion.json names model version {pointer.get('model_version')} but the "
            f"registry's champion is version {champion}"
        )
    stable = status.serving.stable
    sha = pointer.get("model_sha256")
    if stable.model_version == champion and stable.model_sha256 and sha != stable.model_sha256:
        status.problems.append(
            f"{stable.target} serves model_sha256 {stable.model_sha256} but champion.json "
            f"names {sha}"
        )


def _judge_monitoring(status: PlatformStatus) -> None:
    verdict = status.monitoring
    if verdict is None:
        status.notes.append("no monitoring report yet")
        return
    if verdict.status == "alert":
        status.problems.append(
            f"the last monitoring run ({verdict.evaluated_at}) alerted: {', '.join(verdict.alerts)}"
        )
    served = status.serving.stable.model_version
    if verdict.model_version is not None and verdict.model_version != served:
        status.notes.append(
            f"the last monitoring report judged model version {verdict.model_version}, "
            f"not the served {served}"
        )
