"""Dagster definitions of the forms domain (assets, checks, sensors, schedules, jobs)."""

import dagster as dg

defs = dg.Definitions()
