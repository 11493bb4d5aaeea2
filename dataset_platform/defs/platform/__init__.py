"""Dagster definitions of the platform itself: a health-check job for deployments."""

import dagster as dg

from dataset_platform.defs.platform.healthcheck import platform_healthcheck

defs = dg.Definitions(jobs=[platform_healthcheck])
