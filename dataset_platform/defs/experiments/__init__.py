"""Dagster definitions of the experiments domain (assets, checks, sensors, schedules, jobs)."""

import dagster as dg

defs = dg.Definitions()
