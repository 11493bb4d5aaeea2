"""Declared dataset pipelines: sources, steps, chat formats, quality and outputs (no Dagster imports)."""
