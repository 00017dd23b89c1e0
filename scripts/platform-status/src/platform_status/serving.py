"""What is being served, and to which share of the traffic.

Locally: the bundle directory `make run` serves (its `metadata.json`, and the SHA-256 of its
`model.onnx` recomputed here, not trusted from the metadata). In AWS: the inference function's
traffic alias (`live`): the version it points at and the canary version of its routing config,
each with the model identity its release record carries (docs/operations.md: the description
of every published version holds the model version and `model_sha256` of the bundle baked into
its image; versions published by other paths carry `MODEL_VERSION` in their environment).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_status.errors import StatusError

MODEL_VERSION_ENV = "MODEL_VERSION"


@dataclass(frozen=True)
class ServedVersion:
    """One serving target: a bundle (local) or a Lambda version (AWS) and its traffic share."""

    target: str
    weight: float  # 0..1
    model_name: str | None
    model_version: str | None
    model_sha256: str | None
    detail: str = ""  # where the identity was read from
    # Local bundles: the hash metadata.json records, when it is not the bytes' own.
    mismatched_sha256: str | None = None


@dataclass(frozen=True)
class ServingState:
    where: str
    versions: tuple[ServedVersion, ...]

    @property
    def stable(self) -> ServedVersion:
        return max(self.versions, key=lambda version: version.weight)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_local_bundle(bundle_dir: Path) -> ServingState:
    metadata_path = bundle_dir / "metadata.json"
    model_path = bundle_dir / "model.onnx"
    if not metadata_path.is_file() or not model_path.is_file():
        raise StatusError(f"no serving bundle at {bundle_dir} (metadata.json and model.onnx)")
    try:
        metadata = json.loads(metadata_path.read_text())
    except ValueError as error:
        raise StatusError(f"{metadata_path} is not JSON: {error}") from error
    actual = _sha256(model_path)
    recorded = metadata.get("model_sha256")
    mismatch = recorded if recorded and recorded != actual else None
    version = ServedVersion(
        target=str(bundle_dir),
        weight=1.0,
        model_name=metadata.get("model_name"),
        model_version=None
        if metadata.get("model_version") is None
        else str(metadata["model_version"]),
        model_sha256=actual,
        detail="SHA-256 of model.onnx",
        mismatched_sha256=mismatch,
    )
    return ServingState(where="local", versions=(version,))


def _record(description: str) -> dict[str, Any]:
    try:
        record = json.loads(description or "")
    except ValueError:
        return {}
    return record if isinstance(record, dict) and "model_version" in record else {}


def _served_version(
    client: Any, function_name: str, version: str, weight: float, model_name: str | None
) -> ServedVersion:
    config = client.get_function_configuration(FunctionName=function_name, Qualifier=version)
    record = _record(config.get("Description", ""))
    environment = (config.get("Environment") or {}).get("Variables") or {}
    model_version = record.get("model_version") or environment.get(MODEL_VERSION_ENV)
    image = record.get("image") or ""
    return ServedVersion(
        target=f"{function_name}:{version}",
        weight=weight,
        model_name=model_name,
        model_version=None if model_version is None else str(model_version),
        model_sha256=record.get("model_sha256") or None,
        detail=f"image {image}" if image else "release record of the version",
    )


def read_lambda_alias(function_name: str, alias: str, model_name: str | None) -> ServingState:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("lambda")
    try:
        found = client.get_alias(FunctionName=function_name, Name=alias)
        weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        canary = {version: float(weight) for version, weight in weights.items() if weight > 0}
        stable_weight = round(1.0 - sum(canary.values()), 6)
        versions = [
            _served_version(
                client, function_name, str(found["FunctionVersion"]), stable_weight, model_name
            )
        ]
        versions += [
            _served_version(client, function_name, version, weight, model_name)
            for version, weight in sorted(canary.items())
        ]
    except (BotoCoreError, ClientError) as error:
        raise StatusError(
            f"cannot read alias {alias!r} of function {function_name}: {error}"
        ) from error
    return ServingState(where=f"lambda {function_name}:{alias}", versions=tuple(versions))
