"""Export a registered model as a serving bundle; publish it to S3 behind atomic pointers.

S3 layout under the artifacts root (docs/contracts/serving-bundle.md):
  bundles/<model_name>/v<version>-<sha12>/  model.onnx, model_card.md, plots/, metadata.json
                                            (metadata.json written last: present = complete)
  bundles/<model_name>/candidate.json       pointer moved by `publish`
  bundles/<model_name>/champion.json        pointer moved by `promote` / `rollback`
A versioned prefix is never rewritten; a pointer is one PUT, so readers see the old or the new.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow import MlflowClient

from model_training import aws, registry, tracking
from model_training.bundle import build_metadata, write_bundle
from model_training.config import Settings
from model_training.onnx_export import ExportError

CANDIDATE_POINTER = "candidate.json"
CHAMPION_POINTER = "champion.json"


class PublishError(RuntimeError):
    """The bundle cannot be published or a pointer cannot be moved."""


def _gated_version(
    client: MlflowClient, model_name: str, alias: str | None, version: str | None
) -> Any:
    if (alias is None) == (version is None):
        raise ExportError("give exactly one of --alias or --version")
    if alias is not None:
        found = registry.version_by_alias(client, model_name, alias)
        if found is None:
            raise ExportError(f"{model_name} has no version with alias {alias!r}")
    else:
        found = registry.get_version(client, model_name, str(version))
    if found.tags.get("gate_verdict") != "pass":
        raise ExportError(f"version {found.version} did not pass the gate")
    if not (found.run_id or found.tags.get("run_id")):
        raise ExportError(f"version {found.version} has no source run")
    return found


def run_export(
    settings: Settings,
    model_name: str,
    out_dir: Path,
    alias: str | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    import mlflow.artifacts
    import mlflow.sklearn

    client = registry.configure(settings)
    found = _gated_version(client, model_name, alias, version)
    run_id = str(found.run_id or found.tags["run_id"])
    pipeline = mlflow.sklearn.load_model(f"models:/{model_name}/{found.version}")
    with tempfile.TemporaryDirectory(prefix="model-training-export-") as tmp:
        inputs = Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=tracking.BUNDLE_INPUTS, dst_path=tmp
            )
        )
        card_dir = Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=tracking.MODEL_CARD, dst_path=tmp
            )
        )
        summary = json.loads((inputs / "training_summary.json").read_text())
        if "split" not in summary:
            raise ExportError(f"version {found.version} predates bundle schema 2: retrain it")
        metadata = build_metadata(
            model_name=model_name,
            model_version=str(found.version),
            run_id=run_id,
            trained_at=datetime.fromtimestamp(client.get_run(run_id).info.start_time / 1000, UTC),
            summary=summary,
            reference=json.loads((inputs / "reference_statistics.json").read_text()),
        )
        report = write_bundle(
            out_dir,
            pipeline=pipeline,
            parity_rows=pd.read_parquet(inputs / "validation_sample.parquet"),
            metadata=metadata,
            model_card_dir=card_dir,
        )
    report["model_version"] = str(found.version)
    return report


def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise PublishError(f"--artifacts must be an s3:// URI, got {uri!r}")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise PublishError(f"{uri} has no bucket")
    return bucket, prefix.strip("/")


def bundles_prefix(artifacts: str, model_name: str) -> tuple[str, str]:
    bucket, root = _split_s3(artifacts)
    return bucket, "/".join(p for p in (root, "bundles", model_name) if p)


def _pointer(model_name: str, version: str, prefix: str, sha: str) -> bytes:
    document = {
        "model_name": model_name,
        "model_version": version,
        "prefix": prefix,
        "model_sha256": sha,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return json.dumps(document, indent=2).encode()


def published_bundle(artifacts: str, model_name: str, version: str) -> dict[str, Any] | None:
    """The complete published bundle of `version` (its metadata.json exists), else None."""
    s3 = aws.client("s3")
    bucket, base = bundles_prefix(artifacts, model_name)
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{base}/v{version}-")
    for obj in listing.get("Contents", []):
        if obj["Key"].endswith("/metadata.json"):
            metadata = json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            prefix = obj["Key"][len(base) + 1 : -len("metadata.json")]
            return {"prefix": prefix, "model_sha256": metadata["model_sha256"]}
    return None


def publish(
    settings: Settings, model_name: str, artifacts: str, **target: str | None
) -> dict[str, Any]:
    """Export, upload to the versioned prefix (metadata.json last), then move candidate.json."""
    s3 = aws.client("s3")
    bucket, base = bundles_prefix(artifacts, model_name)
    with tempfile.TemporaryDirectory(prefix="model-training-publish-") as tmp:
        bundle = Path(tmp) / "bundle"
        report = run_export(settings, model_name, bundle, **target)
        version, sha = report["model_version"], report["model_sha256"]
        prefix = f"v{version}-{sha[:12]}/"
        existing = published_bundle(artifacts, model_name, version)
        if existing is not None and existing["prefix"] != prefix:
            raise PublishError(
                f"v{version} is already published as {existing['prefix']} with "
                f"another model_sha256 ({existing['model_sha256']})"
            )
        if existing is None:
            files = sorted(
                p for p in bundle.rglob("*") if p.is_file() and p.name != "metadata.json"
            )
            for file in [*files, bundle / "metadata.json"]:
                key = f"{base}/{prefix}{file.relative_to(bundle).as_posix()}"
                s3.upload_file(str(file), bucket, key)
    s3.put_object(
        Bucket=bucket,
        Key=f"{base}/{CANDIDATE_POINTER}",
        Body=_pointer(model_name, version, prefix, sha),
        ContentType="application/json",
    )
    return {
        "model_version": version,
        "model_sha256": sha,
        "uri": f"s3://{bucket}/{base}/{prefix}",
        "pointer": f"s3://{bucket}/{base}/{CANDIDATE_POINTER}",
        "uploaded": existing is None,
    }


def require_published(artifacts: str, model_name: str, version: str) -> dict[str, Any]:
    found = published_bundle(artifacts, model_name, version)
    if found is None:
        raise PublishError(
            f"v{version} of {model_name} has no published bundle under {artifacts}: run "
            f"`model-training publish --version {version}` first"
        )
    return found


def move_champion_pointer(
    artifacts: str, model_name: str, version: str, bundle: dict[str, Any]
) -> str:
    bucket, base = bundles_prefix(artifacts, model_name)
    key = f"{base}/{CHAMPION_POINTER}"
    aws.client("s3").put_object(
        Bucket=bucket,
        Key=key,
        ContentType="application/json",
        Body=_pointer(model_name, version, bundle["prefix"], bundle["model_sha256"]),
    )
    return f"s3://{bucket}/{key}"
