"""Which market the tool operates on, from ``RELEASE_*`` environment variables.

Command-line options override these values; AWS region, credentials and endpoint are left to
boto3's standard resolution (``AWS_REGION``, ``AWS_ENDPOINT_URL``, ...).
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_ALIAS = "live"


class ReleaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELEASE_", extra="ignore")

    function_name: str | None = Field(
        default=None, description="Name or ARN of the market's inference Lambda function."
    )
    alias: str = Field(default=DEFAULT_ALIAS, description="Alias that receives live traffic.")
    # A plain comma-separated string: pydantic-settings would otherwise expect JSON for lists.
    alarm_names: str = Field(
        default="", description="Comma-separated CloudWatch alarm names that gate a release."
    )
    alarm_prefix: str | None = Field(
        default=None, description="Every alarm whose name starts with this prefix gates a release."
    )
    actor: str | None = Field(
        default=None,
        description="Who is releasing; defaults to the caller's identity from STS.",
    )
    codedeploy_application: str | None = Field(
        default=None,
        description="CodeDeploy application that also shifts the alias (pipeline deployments).",
    )
    codedeploy_group: str | None = Field(
        default=None, description="Its deployment group; set together with the application."
    )
    history_size: int = Field(
        default=10,
        ge=1,
        le=20,
        description="Release events kept as function tags (Lambda allows 50 tags per function).",
    )

    @field_validator(
        "function_name", "alarm_prefix", "actor", "codedeploy_application", "codedeploy_group"
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()

    @property
    def alarm_name_list(self) -> list[str]:
        return [name.strip() for name in self.alarm_names.split(",") if name.strip()]
