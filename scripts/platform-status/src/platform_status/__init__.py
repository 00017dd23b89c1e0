"""What an operator sees: one status view, the registry UI, the ML Test Score from the checks."""

__version__ = "0.1.0"
