"""Raw loans file -> quality-checked training set and online feature store (PySpark)."""

__version__ = "0.1.0"
