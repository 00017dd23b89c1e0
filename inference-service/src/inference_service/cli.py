"""``inference-service`` command: serve the API locally or check a deployment's bundle + store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from inference_service.config import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

BundleOpt = Annotated[
    Path | None,
    typer.Option("--bundle-dir", help="Serving bundle directory (default: MODEL_BUNDLE_DIR)."),
]
StoreOpt = Annotated[
    str | None,
    typer.Option("--store-url", help="SQLAlchemy URL of the store (default: FEATURE_STORE_URL)."),
]


def _settings(
    bundle_dir: Path | None, store_url: str | None, log_level: str | None = None
) -> Settings:
    from inference_service.config import Settings

    overrides: dict[str, object] = {}
    if bundle_dir is not None:
        overrides["model_bundle_dir"] = bundle_dir
    if store_url is not None:
        overrides["feature_store_url"] = store_url
    if log_level is not None:
        overrides["log_level"] = log_level.upper()
    return Settings(**overrides)  # type: ignore[arg-type]


@app.command()
def serve(
    bundle_dir: BundleOpt = None,
    store_url: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING, ERROR")] = None,
) -> None:
    """Run the API with uvicorn (one worker). No access log: its paths carry customer ids."""
    import uvicorn

    from inference_service.main import create_app

    settings = _settings(bundle_dir, store_url, log_level)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=False,
        log_level=settings.log_level.lower(),
    )


@app.command()
def check(bundle_dir: BundleOpt = None, store_url: StoreOpt = None) -> None:
    """Load the bundle and verify the store's schema; exit 1 with the reason if either fails."""
    import asyncio

    from inference_service.resources import build_resources

    settings = _settings(bundle_dir, store_url, "WARNING")
    try:
        resources = build_resources(settings)
        asyncio.run(resources.store.ping())
    except Exception as err:  # any failure is reported the same way: reason and exit code 1
        typer.echo(f"error: {type(err).__name__}: {err}", err=True)
        raise typer.Exit(1) from err
    bundle = resources.bundle
    summary = {
        "model_name": bundle.model_name,
        "model_version": bundle.model_version,
        "features": list(bundle.feature_names),
        "threshold": bundle.threshold,
        "store": "reachable",
    }
    typer.echo(json.dumps(summary, indent=2))
    asyncio.run(resources.aclose())


@app.command()
def demo(
    url: Annotated[str, typer.Option(help="Base URL of a running service.")] = (
        "http://127.0.0.1:8000"
    ),
    store_url: StoreOpt = None,
    api_key: Annotated[str | None, typer.Option(envvar="API_KEY", help="X-API-Key.")] = None,
) -> None:
    """Send sample requests (known customer, unknown customer, invalid id) and print answers."""
    import urllib.error
    import urllib.request

    from sqlalchemy import func, select

    from inference_service.database import build_engine
    from inference_service.store import customer_features

    settings = _settings(None, store_url)
    engine = build_engine(settings.feature_store_url, auth=settings.feature_store_auth)
    with engine.connect() as conn:
        known, highest = conn.execute(
            select(func.min(customer_features.c.id), func.max(customer_features.c.id))
        ).one()
    engine.dispose()
    if known is None:
        typer.echo("error: the feature store is empty", err=True)
        raise typer.Exit(1)
    samples = [
        ("known customer", "/predict", {"id": str(known)}),
        ("unknown customer", "/predict", {"id": str(highest + 1)}),
        ("invalid id", "/predict", {"id": "12ab"}),
        ("explanation", "/predict/explain", {"id": str(known)}),
    ]
    for label, path, body in samples:
        request = urllib.request.Request(  # noqa: S310 - URL given by the operator
            url.rstrip("/") + path,
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"X-API-Key": api_key} if api_key else {}),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, payload = err.code, err.read()
        typer.echo(f"--- {label}: POST {path} {json.dumps(body)} -> {status}")
        typer.echo(json.dumps(json.loads(payload), indent=2))


def main() -> None:
    app()
