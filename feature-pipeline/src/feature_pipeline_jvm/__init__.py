"""Local JVM start-up tooling for feature-pipeline: the options lookup and the archive builder.

Kept apart from the `feature_pipeline` domain package: it only tunes local runs, AWS Glue never
uses it, and the Glue job ships without it.
"""
