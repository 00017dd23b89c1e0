"""The one error type the command line turns into a message and exit code 1."""


class BootstrapError(Exception):
    """A problem the operator can fix: bad settings, unreachable server, unusable secret."""
