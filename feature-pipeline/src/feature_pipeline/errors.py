"""Failure types shared by the CLI and the modules that raise them (import-light on purpose)."""

from __future__ import annotations


class InputError(ValueError):
    """The input location, its header or an argument is unusable."""


class OnlineStoreError(RuntimeError):
    """Loading or swapping the online table failed; the live table is left untouched."""
