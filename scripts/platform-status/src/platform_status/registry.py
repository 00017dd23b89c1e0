"""The MLflow registry's aliases (`champion`, `challenger`) of the served model."""

from __future__ import annotations

from dataclasses import dataclass

from platform_status.errors import StatusError

CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class RegistryState:
    tracking_uri: str
    model_name: str
    champion: str | None
    challenger: str | None


def read_registry(tracking_uri: str, model_name: str) -> RegistryState:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        model = client.get_registered_model(model_name)
    except MlflowException as error:
        raise StatusError(
            f"registry {tracking_uri}: no registered model {model_name!r} ({error.message})"
        ) from error
    except Exception as error:  # unreachable server, unreadable database
        raise StatusError(f"cannot read the registry at {tracking_uri}: {error}") from error
    aliases = {alias: str(version) for alias, version in (model.aliases or {}).items()}
    return RegistryState(
        tracking_uri=tracking_uri,
        model_name=model_name,
        champion=aliases.get(CHAMPION),
        challenger=aliases.get(CHALLENGER),
    )
