"""Which market the tool operates on, from ``RELEASE_*`` environment variables.

Command-line options override these values; AWS credentials and endpoints are left to boto3's
standard resolution (``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ...), the region too except that
``AWS_REGION`` is passed on first (cli.aws_session: boto3 reads only AWS_DEFAULT_REGION). The
defaults follow the names ``infra/modules/inference`` gives: CodeDeploy application = function
name, deployment group = ``<function>-live``, pre-traffic hook = ``<function>-pre-traffic``.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_ALIAS = "live"
NO_HOOK = "none"


class ReleaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELEASE_", extra="ignore")

    function_name: str | None = Field(
        default=None, description="Name of the market's inference Lambda function."
    )
    alias: str = Field(default=DEFAULT_ALIAS, description="Alias that receives live traffic.")
    actor: str | None = Field(
        default=None,
        description="Who is releasing; defaults to the caller's identity from STS.",
    )
    codedeploy_application: str | None = Field(
        default=None, description="CodeDeploy application (default: the function name)."
    )
    codedeploy_group: str | None = Field(
        default=None, description="CodeDeploy deployment group (default: <function>-live)."
    )
    pre_traffic_hook: str | None = Field(
        default=None,
        description="BeforeAllowTraffic hook function (default <function>-pre-traffic; "
        "'none' releases without one).",
    )

    @field_validator(
        "function_name", "actor", "codedeploy_application", "codedeploy_group", "pre_traffic_hook"
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return value.strip()


def default_group(function_name: str) -> tuple[str, str]:
    return function_name, f"{function_name}-live"


def default_hook(function_name: str) -> str:
    return f"{function_name}-pre-traffic"
