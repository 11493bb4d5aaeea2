"""Deployment-level helpers: which external services are real, whether the data volume is usable."""
