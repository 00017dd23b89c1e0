"""boto3 plumbing shared by every part: error translation and waiters with a timeout."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from release_tool.errors import RefusedError, ReleaseError

POLLS_WITHOUT_DELAY = 100


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn boto errors into ReleaseErrors that say what was being done."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in {"ResourceNotFoundException", "DeploymentDoesNotExistException"}:
            raise RefusedError(f"{action}: not found ({message})") from error
        if code == "PreconditionFailedException":
            raise RefusedError(
                f"{action}: the function changed while this command ran (someone else is "
                "releasing?); run `release status` and try again"
            ) from error
        raise ReleaseError(f"{action}: {code or 'AWS error'}: {message}") from error
    except BotoCoreError as error:
        raise ReleaseError(f"{action}: {error}") from error


def wait(
    client: Any,
    waiter_name: str,
    timeout_seconds: float,
    delay_seconds: float | None = None,
    **params: Any,
) -> None:
    """Run a boto3 waiter for at most ``timeout_seconds``; WaiterError propagates.

    ``delay_seconds`` overrides the waiter's own polling interval; 0 (tests against emulators
    whose state moves on every poll) polls up to ``POLLS_WITHOUT_DELAY`` times.
    """
    waiter = client.get_waiter(waiter_name)
    delay = waiter.config.delay if delay_seconds is None else delay_seconds
    attempts = max(1, math.ceil(timeout_seconds / delay)) if delay > 0 else POLLS_WITHOUT_DELAY
    waiter.wait(**params, WaiterConfig={"Delay": delay, "MaxAttempts": attempts})


def waiter_reason(error: WaiterError) -> str:
    """The last response's error or status, for a message a person can act on."""
    last = error.last_response or {}
    if "Error" in last:
        return f"{last['Error'].get('Code', '')}: {last['Error'].get('Message', '')}".strip()
    return str(error.kwargs.get("reason") or error)
