"""Release operations for a deployed market: deploy, canary, watch, promote, rollback, status."""
