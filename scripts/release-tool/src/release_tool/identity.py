"""Who is releasing: recorded with every change."""

from __future__ import annotations

import getpass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError


def resolve_actor(configured: str | None, sts_client: Any) -> str:
    """RELEASE_ACTOR when set (CI jobs name themselves), else the caller's AWS identity ARN.

    Falls back to the local user name only if STS cannot answer; the record then says so.
    """
    if configured:
        return configured
    try:
        arn = sts_client.get_caller_identity().get("Arn")
    except (BotoCoreError, ClientError):
        arn = None
    if arn:
        return str(arn)
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):
        return "unknown"
