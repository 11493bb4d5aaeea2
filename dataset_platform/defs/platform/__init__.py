"""Platform-wide definitions (health check)."""

import dagster as dg

defs = dg.Definitions()
