"""Secrets Manager: the RDS-managed master secret in, one secret per service role out.

The service secrets are what the RDS Proxy reads to log in to the database as each role, so
they use the proxy's format: a JSON object with at least ``username`` and ``password``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from db_bootstrap.errors import BootstrapError
from db_bootstrap.target import MasterCredentials

# 32 random bytes, URL-safe alphabet: nothing a URL, a shell or the proxy must escape.
_PASSWORD_BYTES = 32


def new_password() -> str:
    return secrets.token_urlsafe(_PASSWORD_BYTES)


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _secret_string(client: Any, arn: str) -> str | None:
    """The current value, or None if the secret exists but has no value yet."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client.get_secret_value(SecretId=arn)
    except ClientError as error:
        if _error_code(error) == "ResourceNotFoundException":
            # Also what AWS answers for a secret created without a value (Terraform creates
            # the service secrets empty); describe_secret tells the two apart.
            try:
                client.describe_secret(SecretId=arn)
            except ClientError:
                raise BootstrapError(f"secret {arn} does not exist") from None
            return None
        raise BootstrapError(f"cannot read secret {arn}: {_error_code(error) or error}") from None
    except BotoCoreError as error:
        raise BootstrapError(f"cannot read secret {arn}: {error}") from None
    value = response.get("SecretString")
    return str(value) if value is not None else None


def _json_object(text: str | None, arn: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def master_credentials(client: Any, arn: str) -> MasterCredentials:
    """The RDS-managed master secret: ``{"username": ..., "password": ...}``."""
    value = _json_object(_secret_string(client, arn), arn)
    if not value or not value.get("username") or not value.get("password"):
        raise BootstrapError(
            f"master secret {arn} has no JSON value with 'username' and 'password' "
            "(expected the secret RDS manages for the instance's master user)"
        )
    return MasterCredentials(str(value["username"]), str(value["password"]))


def stored_password(client: Any, arn: str, role: str) -> str | None:
    """The password a role's secret already holds, None if it holds none yet.

    A secret naming another user is refused: two roles' ARNs were swapped, and overwriting
    would lock the proxy out of the other role.
    """
    value = _json_object(_secret_string(client, arn), arn)
    if not value or not value.get("password"):
        return None
    if value.get("username") != role:
        raise BootstrapError(
            f"secret {arn} given for role {role} holds the credentials of "
            f"{value.get('username')!r}; check --service-secrets"
        )
    return str(value["password"])


def store_password(
    client: Any, arn: str, role: str, password: str, connection_details: Mapping[str, object]
) -> str:
    """Write the role's credentials as the secret's new current version; returns its id."""
    from botocore.exceptions import BotoCoreError, ClientError

    document = {"username": role, "password": password, **connection_details}
    try:
        response = client.put_secret_value(SecretId=arn, SecretString=json.dumps(document))
    except (ClientError, BotoCoreError) as error:
        raise BootstrapError(
            f"cannot write secret {arn} for role {role}: {_error_code(error) or error}"
        ) from None
    return str(response.get("VersionId", ""))
