"""Dagster definitions of the reviews domain (assets, checks, sensors, schedules, jobs)."""

import dagster as dg

defs = dg.Definitions()
