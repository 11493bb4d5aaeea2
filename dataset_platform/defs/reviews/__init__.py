"""Dagster definitions of the reviews domain: the sensor that turns review activity into runs."""

import dagster as dg

from dataset_platform.defs.reviews.assets import review_priorities, review_priorities_job, review_priorities_schedule
from dataset_platform.defs.reviews.jobs import ground_truth_refresh_job
from dataset_platform.defs.reviews.sensors import new_reviews_sensor

defs = dg.Definitions(
    assets=[review_priorities],
    jobs=[ground_truth_refresh_job, review_priorities_job],
    schedules=[review_priorities_schedule],
    sensors=[new_reviews_sensor],
)
