"""The one error the tool raises for anything it cannot read: printed, exit code 2."""


class StatusError(RuntimeError):
    """A part of the platform cannot be read (missing file, unreachable service, bad input)."""
