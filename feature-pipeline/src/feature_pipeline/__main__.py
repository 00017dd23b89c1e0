"""`python -m feature_pipeline ...` is the `feature-pipeline` command."""

from feature_pipeline.cli import app

app(prog_name="feature-pipeline")
