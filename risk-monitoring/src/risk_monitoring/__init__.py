"""Monitoring job for the credit-risk model: drift, skew, staleness, stability, latency, quality."""

__version__ = "0.1.0"
