"""Shared test support for the platform: real PostgreSQL (TLS, service roles) and an AWS emulator
(moto, with IAM enforcement on request, or an external one) as fixtures.

The fixtures live in :mod:`platform_testkit.plugin` (auto-loaded by pytest through the
``pytest11`` entry point). Helpers for tests that need more control are re-exported here; this
module imports only the standard library.
"""

from platform_testkit.aws import (
    DEAD_ENDPOINT_URL,
    EXTERNAL_ENDPOINT_ENV,
    disable_stepfunctions_execution,
    enable_stepfunctions_execution,
    reset_moto,
    set_iam_enforcement,
)

__all__ = [
    "DEAD_ENDPOINT_URL",
    "EXTERNAL_ENDPOINT_ENV",
    "disable_stepfunctions_execution",
    "enable_stepfunctions_execution",
    "reset_moto",
    "set_iam_enforcement",
]
