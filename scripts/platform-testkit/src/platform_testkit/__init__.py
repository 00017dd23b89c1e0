"""Shared test support for the platform: real PostgreSQL and a moto AWS server as fixtures.

The fixtures live in :mod:`platform_testkit.plugin` (auto-loaded by pytest through the
``pytest11`` entry point). Helpers for tests that need more control are re-exported here.
"""

from platform_testkit.aws import (
    DEAD_ENDPOINT_URL,
    disable_stepfunctions_execution,
    enable_stepfunctions_execution,
    reset_moto,
)

__all__ = [
    "DEAD_ENDPOINT_URL",
    "disable_stepfunctions_execution",
    "enable_stepfunctions_execution",
    "reset_moto",
]
