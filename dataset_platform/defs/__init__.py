"""Dagster glue: one folder per domain; the domain logic lives in plain modules outside defs/."""
