"""Dagster definitions of the retraining domain (assets, checks, sensors, schedules, jobs)."""

import dagster as dg

defs = dg.Definitions()
