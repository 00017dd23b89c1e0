"""`model-training train | promote | rollback | export | publish`.

Exit codes: 0 success; 1 the quality gate failed (nothing registered, no alias moved);
2 bad input (data, config, registry state, unpublished bundle); 3 export or publish failed.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from model_training.config import ConfigError, Settings, load_config
from model_training.lake import DataValidationError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_EXPORT_FAILED = 3

TrackingUri = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        help="MLflow tracking/registry URI (default: MODEL_TRAINING_TRACKING_URI, else "
        "MLFLOW_TRACKING_URI, else sqlite:///<MODEL_TRAINING_HOME>/mlflow.db).",
    ),
]
Artifacts = Annotated[
    str | None,
    typer.Option(
        "--artifacts",
        envvar="MODEL_TRAINING_ARTIFACTS_URI",
        help="s3://bucket[/prefix] holding bundles/<model>/ (pointers are moved there).",
    ),
]
Actor = Annotated[
    str | None,
    typer.Option("--actor", help="Who is acting (default: MODEL_TRAINING_ACTOR or login name)."),
]


def _settings(tracking_uri: str | None, artifact_location: str | None = None) -> Settings:
    settings = Settings()
    updates: dict[str, str] = {}
    if tracking_uri:
        updates["tracking_uri"] = tracking_uri
    if artifact_location:
        updates["artifact_location"] = artifact_location
    return settings.model_copy(update=updates)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command("train")
def train_command(
    data: Annotated[
        str,
        typer.Option(
            "--data",
            help="Training set: CSV/Parquet file or part-file dir, the pipeline output dir "
            "(needs _SUCCESS), or s3:// of any of these.",
        ),
    ],
    tracking_uri: TrackingUri = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="YAML overriding the embedded defaults.")
    ] = None,
    raw: Annotated[
        str | None,
        typer.Option("--raw", help="Raw loans CSV: gender / income type for slice metrics only."),
    ] = None,
    artifact_location: Annotated[
        str | None,
        typer.Option(
            "--artifact-location", help="Artifact root for a NEW experiment, e.g. s3://b/p."
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Override the config seed.")] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            help="Online rows (one per customer) for the reference statistics, when --data is "
            "not a pipeline run with online/parquet/.",
        ),
    ] = None,
) -> None:
    """Train the candidates, evaluate, gate; register + alias `challenger` when the gate passes."""
    from model_training.workflow import run_training

    try:
        config = load_config(config_file, {"seed": seed} if seed is not None else None)
        settings = _settings(tracking_uri, artifact_location)
        result = run_training(data, config, settings, raw=raw, reference=reference)
    except (ConfigError, DataValidationError) as exc:
        raise _fail(str(exc), EXIT_BAD_INPUT) from exc
    typer.echo(result.to_json())
    if not result.gate_passed:
        raise _fail(
            "quality gate FAILED (nothing registered, no alias moved):\n  - "
            + "\n  - ".join(result.gate_reasons),
            EXIT_GATE_FAILED,
        )


def _published_or_fail(artifacts: str | None, model_name: str, version: str) -> dict | None:
    """The published bundle a pointer will name, checked before any alias moves."""
    from model_training import publish

    if artifacts is None:
        return None
    try:
        return publish.require_published(artifacts, model_name, version)
    except publish.PublishError as exc:
        raise _fail(str(exc), EXIT_BAD_INPUT) from exc


def _move_pointer(artifacts: str | None, model_name: str, version: str, bundle: dict | None) -> str:
    from model_training import publish

    if artifacts is None or bundle is None:
        return ""
    return publish.move_champion_pointer(artifacts, model_name, version, bundle)


@app.command("promote")
def promote_command(
    version: Annotated[
        str | None, typer.Option("--version", help="Version to make champion.")
    ] = None,
    from_alias: Annotated[
        str | None, typer.Option("--from-alias", help="Promote the version holding this alias.")
    ] = None,
    if_no_champion: Annotated[
        bool, typer.Option("--if-no-champion", help="Do nothing when a champion already exists.")
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the registry).")] = "",
    actor: Actor = None,
    model_name: Annotated[str, typer.Option("--model-name")] = "credit-risk",
    tracking_uri: TrackingUri = None,
    artifacts: Artifacts = None,
) -> None:
    """Move `champion` to a gated version; with --artifacts, then move champion.json to its
    published bundle (checked to exist before the alias moves)."""
    from model_training import registry

    if (version is None) == (from_alias is None):
        raise _fail("give exactly one of --version or --from-alias", EXIT_BAD_INPUT)
    if not reason.strip():
        raise _fail("--reason is required: promotions are audited", EXIT_BAD_INPUT)
    client = registry.configure(_settings(tracking_uri))
    current = registry.version_by_alias(client, model_name, registry.CHAMPION)
    if if_no_champion and current is not None:
        typer.echo(json.dumps({"action": "none", "champion": str(current.version)}))
        return
    if from_alias is not None:
        holder = registry.version_by_alias(client, model_name, from_alias)
        if holder is None:
            raise _fail(f"{model_name} has no version with alias {from_alias!r}", EXIT_BAD_INPUT)
        version = str(holder.version)
    assert version is not None
    bundle = _published_or_fail(artifacts, model_name, version)
    try:
        event = registry.promote(
            client, model_name, version, actor or registry.default_actor(), reason
        )
    except registry.RegistryError as exc:
        raise _fail(str(exc), EXIT_BAD_INPUT) from exc
    pointer = _move_pointer(artifacts, model_name, version, bundle)
    typer.echo(json.dumps({**event.__dict__, "champion_pointer": pointer}))


@app.command("rollback")
def rollback_command(
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the registry).")] = "",
    actor: Actor = None,
    model_name: Annotated[str, typer.Option("--model-name")] = "credit-risk",
    tracking_uri: TrackingUri = None,
    artifacts: Artifacts = None,
) -> None:
    """Move `champion` back to the previous champion (and champion.json with --artifacts)."""
    from model_training import registry

    if not reason.strip():
        raise _fail("--reason is required: rollbacks are audited", EXIT_BAD_INPUT)
    client = registry.configure(_settings(tracking_uri))
    try:
        target = registry.rollback_target(client, model_name)
        bundle = _published_or_fail(artifacts, model_name, target)
        event = registry.rollback(client, model_name, actor or registry.default_actor(), reason)
    except registry.RegistryError as exc:
        raise _fail(str(exc), EXIT_BAD_INPUT) from exc
    pointer = _move_pointer(artifacts, model_name, event.version, bundle)
    typer.echo(json.dumps({**event.__dict__, "champion_pointer": pointer}))


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Bundle directory (replaced atomically).")],
    alias: Annotated[str | None, typer.Option("--alias")] = None,
    version: Annotated[str | None, typer.Option("--version")] = None,
    model_name: Annotated[str, typer.Option("--model-name")] = "credit-risk",
    tracking_uri: TrackingUri = None,
) -> None:
    """Write the serving bundle (ONNX + metadata.json + model card) for a registered model."""
    from model_training import registry
    from model_training.onnx_export import ExportError
    from model_training.publish import run_export

    if alias is None and version is None:
        alias = registry.CHAMPION
    try:
        report = run_export(_settings(tracking_uri), model_name, out, alias=alias, version=version)
    except (ExportError, registry.RegistryError) as exc:
        raise _fail(f"export failed: {exc}", EXIT_EXPORT_FAILED) from exc
    typer.echo(json.dumps(report))


@app.command("publish")
def publish_command(
    artifacts: Artifacts = None,
    alias: Annotated[str | None, typer.Option("--alias")] = None,
    version: Annotated[str | None, typer.Option("--version")] = None,
    model_name: Annotated[str, typer.Option("--model-name")] = "credit-risk",
    tracking_uri: TrackingUri = None,
) -> None:
    """Upload the bundle to s3://<artifacts>/bundles/<model>/v<version>-<sha12>/ (metadata.json
    last), then point bundles/<model>/candidate.json at it."""
    from model_training import publish, registry
    from model_training.onnx_export import ExportError

    if artifacts is None:
        raise _fail("--artifacts (or MODEL_TRAINING_ARTIFACTS_URI) is required", EXIT_BAD_INPUT)
    if alias is None and version is None:
        alias = registry.CHALLENGER
    try:
        report = publish.publish(
            _settings(tracking_uri), model_name, artifacts, alias=alias, version=version
        )
    except (ExportError, registry.RegistryError, publish.PublishError) as exc:
        raise _fail(f"publish failed: {exc}", EXIT_EXPORT_FAILED) from exc
    typer.echo(json.dumps(report))
