"""Service settings, read once from the environment (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORE_URL = "sqlite:///var/feature_store.db"


class Settings(BaseSettings):
    """Everything the service can be configured with.

    Variable names are the field names in upper case (``FEATURE_STORE_URL``, ``MODEL_BUNDLE_DIR``,
    ...). No database password is ever configured: locally the URL is used as given; in AWS
    (``FEATURE_STORE_AUTH=iam``) each new connection authenticates with an IAM token.
    """

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    feature_store_url: str = Field(
        default=DEFAULT_STORE_URL,
        description="SQLAlchemy URL of the online feature store (table customer_features).",
    )
    feature_store_auth: Literal["password", "iam"] = Field(
        default="password",
        description=(
            "'password': connect with FEATURE_STORE_URL as given (SQLite, local PostgreSQL). "
            "'iam': the URL names the role and no password; every new connection gets an RDS "
            "IAM token and TLS with sslmode=verify-full."
        ),
    )
    model_bundle_dir: Path = Field(
        default=Path("bundle"),
        description="Directory holding model.onnx and metadata.json (the serving bundle).",
    )
    customer_ref_key_secret_arn: str | None = Field(
        default=None,
        description="Secrets Manager secret holding the key of the customer_ref pseudonym.",
    )
    customer_ref_key: SecretStr | None = Field(
        default=None,
        description="The customer_ref key itself (local runs; in AWS use the secret).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    api_key: SecretStr | None = Field(
        default=None,
        description="When set, every API call except /health must carry it in X-API-Key.",
    )
    max_body_bytes: int = Field(default=16_384, ge=256, le=1_048_576)

    # Lambda runs one request at a time per instance, so one connection is all it can use (a
    # bigger pool would only hold idle connections open); a uvicorn server runs lookups
    # concurrently on asyncio connections (resources.SERVER_POOL_SIZE unless set).
    store_pool_size: int | None = Field(default=None, ge=1, le=64)
    store_connect_timeout_seconds: int = Field(default=3, ge=1, le=60)

    # Powertools' own variable names, so Logger and Metrics read the same values.
    powertools_metrics_namespace: str = "CreditRisk"
    powertools_service_name: str = "inference-service"
    # Set by Lambda; the dimension that lets canary alarms watch one version.
    aws_lambda_function_version: str = "local"
    # A long-running server publishes metrics this often (Lambda: after every invocation).
    metrics_flush_interval_seconds: float = Field(default=10.0, gt=0.0, le=300.0)
