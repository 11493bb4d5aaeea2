"""Model experiments domain logic (no Dagster): evaluators, summaries, experiment runner."""
