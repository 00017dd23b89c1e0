"""Errors the job reports to its caller as bad input (exit code 2), not as a crash."""


class InputError(ValueError):
    """An input is missing, unreadable or breaks its documented contract."""
