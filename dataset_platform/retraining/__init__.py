"""Classifier-retraining domain logic (no Dagster): pull SQL, cleaning, splits, quality, publishing."""
