"""Exit codes and the exceptions that map to them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # AWS call failed or the deployment did not reach the expected state
    USAGE = 2  # bad command line (Typer/Click use 2 for these too)
    REFUSED = 3  # the request was understood but is unsafe in the current state
    ROLLED_BACK = 4  # CodeDeploy stopped the canary and sent all traffic back


class ReleaseError(Exception):
    """An operation could not be carried out; nothing was changed unless the message says so."""

    exit_code: ExitCode = ExitCode.FAILED


class RefusedError(ReleaseError):
    """The request is unsafe or impossible in the current release state."""

    exit_code = ExitCode.REFUSED


class ConfigurationError(ReleaseError):
    """The tool does not know what to operate on (function, alias, deployment group)."""

    exit_code = ExitCode.USAGE


class RolledBackError(ReleaseError):
    """The deployment ended without shifting all traffic: CodeDeploy rolled it back."""

    exit_code = ExitCode.ROLLED_BACK
