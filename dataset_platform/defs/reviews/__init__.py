"""Dagster definitions of the reviews domain: the sensor that turns review activity into runs."""

import dagster as dg

from dataset_platform.defs.reviews.jobs import ground_truth_refresh_job
from dataset_platform.defs.reviews.sensors import new_reviews_sensor

defs = dg.Definitions(jobs=[ground_truth_refresh_job], sensors=[new_reviews_sensor])
