"""MLflow tracking + model registry: experiment setup, registration, aliases, promote, rollback.

Aliases on the registered model `credit-risk`:
  challenger - the latest model that passed the gate (set by `train`)
  champion   - the model that serves (moved only by `promote` / `rollback`)

Promotion history is kept as registered-model tags (`champion_stack`: versions that have been
champion, most recent last; `champion_history`: the latest events as JSON) and as tags on the
versions involved, so who/when/why survives in the registry itself.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from model_training.config import Settings
from model_training.db_auth import install_iam_auth

log = logging.getLogger(__name__)

CHALLENGER = "challenger"
CHAMPION = "champion"
_STACK_TAG = "champion_stack"
_HISTORY_TAG = "champion_history"
_HISTORY_KEEP = 20  # registry tag values are capped (5000 chars); older events stay on versions
_REASON_MAX = 200


class RegistryError(RuntimeError):
    """A registry operation cannot be carried out (unknown version, nothing to roll back to...)."""


def configure(settings: Settings) -> MlflowClient:
    """Point MLflow (tracking and registry) at the settings' store and return a client.

    AWS variables are left alone: MLflow's S3 artifact store uses boto3, which honours
    AWS_ENDPOINT_URL, AWS_PROFILE and AWS_DEFAULT_REGION (S3 redirects a request sent to
    another region's endpoint, so AWS_REGION alone costs it a round trip, not a failure).
    """
    import mlflow

    tracking_uri = settings.resolved_tracking_uri()
    if settings.db_auth == "iam":
        install_iam_auth()
    if tracking_uri.startswith("sqlite:///"):
        Path(urlparse(tracking_uri).path).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def ensure_experiment(client: MlflowClient, name: str, artifact_location: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    if artifact_location.startswith("file://"):
        Path(urlparse(artifact_location).path).mkdir(parents=True, exist_ok=True)
    return str(client.create_experiment(name, artifact_location=artifact_location))


def version_by_alias(client: MlflowClient, model_name: str, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None


def get_version(client: MlflowClient, model_name: str, version: str) -> ModelVersion:
    try:
        return client.get_model_version(model_name, str(version))
    except MlflowException as exc:
        raise RegistryError(f"{model_name} has no version {version}") from exc


def register(
    client: MlflowClient, model_name: str, model_uri: str, run_id: str, tags: dict[str, str]
) -> ModelVersion:
    try:
        client.get_registered_model(model_name)
    except MlflowException:
        client.create_registered_model(
            model_name, description="Probability that a loan is not repaid on time."
        )
    version = client.create_model_version(
        model_name, source=model_uri, run_id=run_id, tags={**tags, "run_id": run_id}
    )
    return version


def register_challenger(
    client: MlflowClient, model_name: str, model_uri: str, run_id: str, tags: dict[str, str]
) -> str:
    """The register stage: a new gated version, aliased `challenger`."""
    version = str(
        register(client, model_name, model_uri, run_id, {**tags, "gate_verdict": "pass"}).version
    )
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    return version


@dataclass(frozen=True)
class AliasEvent:
    action: str  # promote | rollback
    version: str
    previous: str | None
    by: str
    at: str
    reason: str


def default_actor() -> str:
    return os.environ.get("MODEL_TRAINING_ACTOR") or getpass.getuser()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_json_tag(client: MlflowClient, model_name: str, tag: str) -> list[object]:
    try:
        model = client.get_registered_model(model_name)
    except MlflowException as exc:
        raise RegistryError(f"registered model {model_name} does not exist") from exc
    raw = model.tags.get(tag)
    if not raw:
        return []
    loaded = json.loads(raw)
    if not isinstance(loaded, list):
        raise RegistryError(f"tag {tag} of {model_name} is corrupt: {raw!r}")
    return loaded


def champion_stack(client: MlflowClient, model_name: str) -> list[str]:
    return [str(v) for v in _read_json_tag(client, model_name, _STACK_TAG)]


def champion_history(client: MlflowClient, model_name: str) -> list[dict[str, object]]:
    return [e for e in _read_json_tag(client, model_name, _HISTORY_TAG) if isinstance(e, dict)]


def _record(client: MlflowClient, model_name: str, stack: list[str], event: AliasEvent) -> None:
    history = [*champion_history(client, model_name), asdict(event)][-_HISTORY_KEEP:]
    client.set_registered_model_tag(model_name, _STACK_TAG, json.dumps(stack))
    client.set_registered_model_tag(model_name, _HISTORY_TAG, json.dumps(history))


def promote(
    client: MlflowClient,
    model_name: str,
    version: str,
    actor: str,
    reason: str,
    allow_failed_gate: bool = False,
) -> AliasEvent:
    """Move `champion` to `version` (which must have passed the gate unless overridden)."""
    target = get_version(client, model_name, version)
    verdict = target.tags.get("gate_verdict")
    if verdict != "pass" and not allow_failed_gate:
        raise RegistryError(
            f"version {version} has gate_verdict={verdict!r}; only gated models can serve"
        )
    current = version_by_alias(client, model_name, CHAMPION)
    previous = str(current.version) if current is not None else None
    if previous == str(version):
        raise RegistryError(f"version {version} is already the champion")
    event = AliasEvent("promote", str(version), previous, actor, _now(), reason[:_REASON_MAX])
    stack = champion_stack(client, model_name)
    if not stack and previous is not None:
        stack = [previous]  # champion set outside this tool: still allow rolling back to it
    client.set_registered_model_alias(model_name, CHAMPION, str(version))
    _record(client, model_name, [*stack, str(version)], event)
    for key, value in (
        ("promoted_to_champion_at", event.at),
        ("promoted_by", actor),
        ("promotion_reason", event.reason),
        ("replaced_champion", previous or ""),
    ):
        client.set_model_version_tag(model_name, str(version), key, value)
    log.info("champion %s -> %s by %s", previous, version, actor)
    return event


def rollback_target(client: MlflowClient, model_name: str) -> str:
    """The version a rollback would restore, or RegistryError saying why there is none."""
    stack = champion_stack(client, model_name)
    current = version_by_alias(client, model_name, CHAMPION)
    if current is None:
        raise RegistryError(f"{model_name} has no champion to roll back")
    if stack and stack[-1] != str(current.version):
        raise RegistryError(
            f"champion alias (v{current.version}) disagrees with the recorded history "
            f"(top v{stack[-1]}); promote explicitly instead"
        )
    if len(stack) < 2:
        raise RegistryError(f"{model_name} has no previous champion to roll back to")
    get_version(client, model_name, stack[-2])  # it must still exist
    return stack[-2]


def rollback(client: MlflowClient, model_name: str, actor: str, reason: str) -> AliasEvent:
    """Move `champion` back to the champion before the current one."""
    target = rollback_target(client, model_name)
    stack = champion_stack(client, model_name)
    current = version_by_alias(client, model_name, CHAMPION)
    assert current is not None
    event = AliasEvent(
        "rollback", target, str(current.version), actor, _now(), reason[:_REASON_MAX]
    )
    client.set_registered_model_alias(model_name, CHAMPION, target)
    _record(client, model_name, stack[:-1], event)
    for key, value in (
        ("rolled_back_at", event.at),
        ("rolled_back_by", actor),
        ("rollback_reason", event.reason),
    ):
        client.set_model_version_tag(model_name, str(current.version), key, value)
    client.set_model_version_tag(model_name, target, "restored_by_rollback_at", event.at)
    log.info("champion rolled back %s -> %s by %s", current.version, target, actor)
    return event
