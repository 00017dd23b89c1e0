"""Service settings, read once from the environment (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORE_URL = "sqlite:///var/feature_store.db"


class Settings(BaseSettings):
    """Everything the service can be configured with.

    Variable names are the field names in upper case (``FEATURE_STORE_URL``, ``MODEL_BUNDLE_DIR``,
    ...). In AWS the database password should not sit in an environment variable: set
    ``FEATURE_STORE_SECRET_ARN`` and the credentials are read from Secrets Manager at start-up.
    """

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    feature_store_url: str = Field(
        default=DEFAULT_STORE_URL,
        description="SQLAlchemy URL of the online feature store (table customer_features).",
    )
    feature_store_secret_arn: str | None = Field(
        default=None,
        description=(
            "Secrets Manager secret (JSON with username/password and optionally host/port/dbname)"
            " whose values override the credentials in FEATURE_STORE_URL."
        ),
    )
    model_bundle_dir: Path = Field(
        default=Path("bundle"),
        description="Directory holding model.onnx and metadata.json (the serving bundle).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    api_key: SecretStr | None = Field(
        default=None,
        description="When set, every API call except /health must carry it in X-API-Key.",
    )
    max_body_bytes: int = Field(default=16_384, ge=256, le=1_048_576)
    max_batch_size: int = Field(default=100, ge=1, le=1000)

    # Lambda runs one request at a time per instance, so one connection is all it can use; a
    # bigger pool would only hold idle connections open against the database's limit.
    store_pool_size: int = Field(default=1, ge=1, le=32)
    store_connect_timeout_seconds: int = Field(default=3, ge=1, le=60)
    store_statement_timeout_ms: int = Field(default=2000, ge=100, le=60_000)

    metrics_namespace: str = "CreditRisk"
    metrics_service: str = "inference-service"
    # 0 flushes after every request; a long-running server batches to keep EMF off the hot path.
    metrics_flush_interval_seconds: float = Field(default=10.0, ge=0.0, le=300.0)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
